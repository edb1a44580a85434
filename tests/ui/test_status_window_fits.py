"""The status window grows to show a long state line whole (an error, say)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from bccguard.events import GuardState, StateChanged
from bccguard.ui.status_window import StatusWindow
from bccguard.ui.tray import TrayActions, TrayMenu

pytestmark = pytest.mark.gui

LONG_ERROR = (
    "cannot listen on 127.0.0.1:56311: [Errno 98] error while attempting to bind "
    "on address ('127.0.0.1', 56311): address already in use"
)


def test_a_long_error_is_not_cut_off(qtbot, qapp: QApplication) -> None:
    actions = TrayActions(
        open_check=lambda: None,
        open_held=lambda: None,
        open_settings=lambda: None,
        pause=lambda seconds: None,
        quit=lambda: None,
    )
    window = StatusWindow(TrayMenu(actions), 2525)
    qtbot.addWidget(window)
    window.show()
    window.show_state(StateChanged(GuardState.ERROR, LONG_ERROR))
    qapp.processEvents()
    title, detail = window.title, window.detail
    assert title.height() >= title.heightForWidth(title.width())
    assert detail.geometry().top() >= title.geometry().bottom()
    assert window.menu_button.geometry().bottom() <= window.height()
