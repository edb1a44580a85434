"""The hold dialog beyond "waiting": the answers and words fit the record's state."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from bccguard.core.held import HeldMessage, Resolution
from bccguard.ui.hold_dialog import HoldDialog
from tests.ui.held_records import NOW, in_state

pytestmark = pytest.mark.gui


def dialog_for(qtbot, held: HeldMessage, decided: list) -> HoldDialog:
    dialog = HoldDialog(
        held, lambda i, r: decided.append((i, r)), clock=lambda: NOW, deadline=None
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def alt(qtbot, dialog: HoldDialog, key: Qt.Key) -> None:
    """Alt+key as the window system delivers it (shortcuts see only that)."""
    qtbot.keyClick(dialog.windowHandle(), key, Qt.KeyboardModifier.AltModifier)


def offered(dialog: HoldDialog) -> list[tuple[str, str, bool]]:
    return [
        (key, button.text(), button.isEnabled())
        for key, button in dialog.buttons.items()
        if not button.isHidden()
    ]


def test_uncertain_asks_send_again_went_out_or_discard(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("uncertain", "u1"), decided)
    assert dialog.windowTitle() == "BccGuard — May have been sent"
    assert dialog.headline.text() == "This message may have been sent"
    assert "lost the connection after the server had the message" in (
        dialog.explain.text()
    )
    assert offered(dialog) == [
        ("send-again", "Send again in Bcc", True),
        ("went-out", "It went out", True),
        ("discard", "Discard", True),
    ]
    assert dialog.countdown.isHidden()
    assert dialog.always.isHidden()
    assert dialog.domains.isHidden()
    assert dialog.recipients.item(0).text() == "Not confirmed by the server (30):"
    assert len(dialog.visible_recipients()) == 30
    qtbot.mouseClick(dialog.went_out_button, Qt.MouseButton.LeftButton)
    assert decided == [("u1", Resolution.WENT_OUT)]
    assert not dialog.isVisible()


def test_uncertain_has_no_default_answer(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("uncertain"), decided)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    alt(qtbot, dialog, Qt.Key.Key_S)
    assert decided == []
    assert not any(button.isDefault() for button in dialog.buttons.values())


def test_uncertain_send_again_converts(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("uncertain", "u2"), decided)
    qtbot.mouseClick(dialog.send_again_button, Qt.MouseButton.LeftButton)
    assert decided == [("u2", Resolution.BCC)]


def test_alt_d_discards_in_any_state_that_allows_it(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("uncertain", "u3"), decided)
    alt(qtbot, dialog, Qt.Key.Key_D)
    assert decided == [("u3", Resolution.DISCARD)]


def test_needs_sign_in_waits_for_the_account(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("needs-sign-in", "s1"), decided)
    assert dialog.headline.text() == "Waiting for you to sign in to work again"
    assert offered(dialog) == [("send", "Send", True), ("discard", "Discard", True)]
    assert dialog.send_button.isDefault()
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    assert decided == [("s1", Resolution.BCC)]


def test_partly_sent_lists_the_refused_in_the_servers_words(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("partly-sent", "p1"), decided)
    assert dialog.headline.text() == "Sent to 28 of 30 · Refused by the server: 2"
    assert dialog.visible_recipients() == [
        "p0@d0.example — 550 5.1.1 <p0@d0.example>: Recipient address rejected",
        "p1@d1.example — 552 5.2.2 Mailbox full",
    ]
    assert offered(dialog) == [
        ("resend", "Send again to those who did not get it (2)", True),
        ("discard", "Discard", True),
    ]
    qtbot.mouseClick(dialog.resend_button, Qt.MouseButton.LeftButton)
    assert decided == [("p1", Resolution.BCC)]


def test_queued_offers_only_discard(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, replace(in_state("queued"), delivered=()), decided)
    assert dialog.headline.text() == "Will try again at 10:42"
    assert offered(dialog) == [("discard", "Discard", True)]


def test_sending_offers_nothing_and_says_why(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("sending"), decided)
    assert dialog.headline.text() == "Being sent…"
    assert offered(dialog) == [("discard", "Discard", False)]
    assert "being sent right now" in dialog.discard_button.toolTip()
    alt(qtbot, dialog, Qt.Key.Key_D)
    assert decided == []


@pytest.mark.parametrize("state", ["sent", "discarded"])
def test_final_states_offer_nothing(qtbot, state: str) -> None:
    dialog = dialog_for(qtbot, in_state(state), [])
    assert offered(dialog) == []


def test_a_newer_record_is_shown_in_place(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("waiting", "w1"), decided)
    assert [k for k, _, _ in offered(dialog)] == ["convert", "as-is", "discard"]
    assert not dialog.countdown.isHidden()
    dialog.show_record(in_state("uncertain", "w1"))
    assert [k for k, _, _ in offered(dialog)] == ["send-again", "went-out", "discard"]
    assert dialog.countdown.isHidden()
    assert dialog.headline.text() == "This message may have been sent"
    qtbot.mouseClick(dialog.discard_button, Qt.MouseButton.LeftButton)
    assert decided == [("w1", Resolution.DISCARD)]


def test_alt_s_asks_before_sending_a_waiting_message_as_is(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("waiting", "w2"), decided)
    alt(qtbot, dialog, Qt.Key.Key_S)
    assert decided == []
    qtbot.mouseClick(dialog.confirm.yes_button, Qt.MouseButton.LeftButton)
    assert decided == [("w2", Resolution.AS_IS)]


def test_waiting_tooltips_name_the_shortcuts(qtbot) -> None:
    dialog = dialog_for(qtbot, in_state("waiting"), [])
    assert dialog.convert_button.toolTip().endswith("(Enter)")
    assert dialog.as_is_button.toolTip().endswith("(Alt+S)")
    assert dialog.discard_button.toolTip().endswith("(Alt+D)")
    assert dialog.convert_button.isDefault()
