"""'Send as is' takes a second, explicit step; closing the hold dialog says where the
message waits."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from bccguard.adapters.demo_sink import free_port
from bccguard.core.held import HeldMessage, Resolution
from bccguard.core.settings import ProxySettings, Settings
from bccguard.ui.application import DesktopApp
from bccguard.ui.held_window import HeldWindow
from bccguard.ui.hold_dialog import HoldDialog
from bccguard.ui.i18n import set_language
from tests.support import MemorySecrets
from tests.ui.held_records import in_state

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def english() -> None:
    set_language("en")


def dialog_for(qtbot, held: HeldMessage, decided: list, later: list | None = None):
    dialog = HoldDialog(
        held,
        lambda i, r: decided.append((i, r)),
        later=None if later is None else later.append,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_send_as_is_asks_again_naming_the_people(qtbot) -> None:
    decided: list = []
    held = in_state("waiting", "w1")
    dialog = dialog_for(qtbot, held, decided)
    qtbot.mouseClick(dialog.as_is_button, Qt.MouseButton.LeftButton)
    assert decided == []
    assert dialog.confirm.isVisible()
    n = held.exposed_count
    assert dialog.confirm.yes_button.text() == (
        f"Yes, show {n} people each other's address"
    )
    assert dialog.focusWidget() is dialog.confirm.back_button
    qtbot.mouseClick(dialog.confirm.yes_button, Qt.MouseButton.LeftButton)
    assert decided == [("w1", Resolution.AS_IS)]


def test_no_keystroke_sends_as_is(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("waiting", "w2"), decided)
    # As the window system delivers keys (shortcuts see only that).
    window = dialog.windowHandle()
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
        qtbot.keyClick(window, Qt.Key.Key_Return)  # "Back" has the focus
    assert decided == []
    assert not dialog.confirm.isVisible()
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert decided == []
    assert dialog.confirm.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert decided == []
    assert not dialog.confirm.isVisible()
    assert dialog.as_is_button.isEnabled()


def test_escape_while_asking_takes_the_question_back(qtbot) -> None:
    decided: list = []
    dialog = dialog_for(qtbot, in_state("waiting", "w3"), decided)
    dialog.as_is_button.click()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    assert not dialog.confirm.isVisible()
    assert decided == []


def test_escape_means_later_and_says_where_it_waits(qtbot) -> None:
    decided: list = []
    later: list = []
    dialog = dialog_for(qtbot, in_state("waiting", "w4"), decided, later)
    assert "tray menu → Held messages" in dialog.later_hint.text()
    assert dialog.later_hint.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert decided == []
    assert [h.id for h in later] == ["w4"]


def test_held_window_send_as_is_asks_again(qtbot) -> None:
    decided: list = []
    held = in_state("waiting", "h1")
    window = HeldWindow(lambda: [held], lambda i, r: decided.append((i, r)))
    qtbot.addWidget(window)
    window.show()
    window.table.selectRow(0)
    qtbot.mouseClick(window.as_is_button, Qt.MouseButton.LeftButton)
    assert decided == []
    assert window.confirm.isVisible()
    assert not window.as_is_button.isEnabled()
    window.refresh()  # the live view keeps the question
    assert window.confirm.isVisible()
    assert str(held.exposed_count) in window.confirm.yes_button.text()
    qtbot.mouseClick(window.confirm.yes_button, Qt.MouseButton.LeftButton)
    assert decided == [("h1", Resolution.AS_IS)]
    assert not window.confirm.isVisible()


def test_closing_the_hold_dialog_notifies_and_the_click_opens_the_message(
    qtbot, qapp, tmp_path
) -> None:
    settings = Settings(proxy=ProxySettings(port=free_port(), decision_timeout=30))
    desktop = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    desktop.start()
    try:
        desktop.send_sample()
        qtbot.waitUntil(lambda: len(desktop.dialogs) == 1, timeout=10_000)
        held_id, dialog = next(iter(desktop.dialogs.items()))
        dialog.reject()  # Esc or the close button
        title, text = desktop.notifications[-1]
        assert title == "Decide later"
        assert "tray menu → Held messages" in text
        desktop._notification_clicked()
        window = desktop.windows["held"]
        assert isinstance(window, HeldWindow)
        chosen = window.selected()
        assert chosen is not None
        assert chosen.id == held_id
        # Answer the waiting mail program before stopping (its connection closes).
        desktop.decide(held_id, Resolution.DISCARD)
        qtbot.waitUntil(
            lambda: not any(t.name == "demo-sample" for t in threading.enumerate()),
            timeout=10_000,
        )
    finally:
        desktop.shutdown()
