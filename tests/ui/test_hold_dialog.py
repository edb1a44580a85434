"""The hold dialog: it shows the right numbers and each button gives its decision."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from bccguard.core.held import HeldMessage, Resolution
from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.core.verdict import check
from bccguard.ui.hold_dialog import HoldDialog

pytestmark = pytest.mark.gui


def held_message(count: int = 30) -> HeldMessage:
    to = ", ".join(f"p{i}@d{i % 4}.example" for i in range(count))
    data = f"From: me@x.example\r\nTo: {to}\r\nSubject: Party\r\n\r\nhi\r\n".encode()
    verdict = check(read_message(data), Policy())
    return HeldMessage.from_verdict(
        held_id="abcd1234",
        received_at=time.time(),
        mail_from="me@x.example",
        recipients=[f"p{i}@d{i % 4}.example" for i in range(count)],
        data=data,
        verdict=verdict,
    )


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        ("convert_button", Resolution.BCC),
        ("as_is_button", Resolution.AS_IS),
        ("discard_button", Resolution.DISCARD),
    ],
)
def test_each_button_decides(qtbot, button: str, expected: Resolution) -> None:
    decided: list[tuple[str, Resolution]] = []
    dialog = HoldDialog(held_message(), lambda i, r: decided.append((i, r)))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(getattr(dialog, button), Qt.MouseButton.LeftButton)
    if expected is Resolution.AS_IS:  # the second, explicit step
        qtbot.mouseClick(dialog.confirm.yes_button, Qt.MouseButton.LeftButton)
    assert decided == [("abcd1234", expected)]
    assert not dialog.isVisible()


def test_enter_converts(qtbot) -> None:
    decided: list[Resolution] = []
    dialog = HoldDialog(held_message(), lambda i, r: decided.append(r))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert decided == [Resolution.BCC]


def test_escape_decides_nothing(qtbot) -> None:
    decided: list[Resolution] = []
    dialog = HoldDialog(held_message(), lambda i, r: decided.append(r))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert decided == []
    assert dialog.decision is None


def test_shows_counts_domains_and_searchable_list(qtbot) -> None:
    dialog = HoldDialog(held_message(30), lambda i, r: None, deadline=time.time() + 50)
    qtbot.addWidget(dialog)
    texts = " ".join(
        label.text() for label in dialog.findChildren(type(dialog.countdown))
    )
    assert "30 people" in texts
    assert "d0.example (8)" in texts
    assert "Party" in texts
    assert "waits 4" in dialog.countdown.text() or "waits 5" in dialog.countdown.text()
    assert dialog.recipients.count() == 30
    qtbot.keyClicks(dialog.search, "d3.exa")
    assert len(dialog.visible_recipients()) == 7
    assert all("d3.example" in a for a in dialog.visible_recipients())
