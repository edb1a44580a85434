"""A message waiting for a sign-in can be signed in for from the Held window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from bccguard.ui.held_window import HeldWindow
from bccguard.ui.i18n import set_language
from tests.ui.held_records import NOW, in_state

pytestmark = pytest.mark.gui


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def shown(qtbot, records, asked: list[str]) -> HeldWindow:
    window = HeldWindow(
        lambda: list(records), lambda *_: None, clock=lambda: NOW, sign_in=asked.append
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_needs_sign_in_offers_to_sign_in_to_its_account(qtbot, english) -> None:
    asked: list[str] = []
    window = shown(qtbot, [in_state("needs-sign-in")], asked)
    window.table.selectRow(0)
    assert window.sign_in_button.isVisible()
    assert window.sign_in_button.text() == "Sign in again to work"
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    assert asked == ["work"]


@pytest.mark.parametrize("state", ["waiting", "queued", "uncertain", "failed", "sent"])
def test_other_states_do_not(qtbot, english, state: str) -> None:
    window = shown(qtbot, [in_state(state)], [])
    window.table.selectRow(0)
    assert not window.sign_in_button.isVisible()


def test_in_italian(qtbot) -> None:
    set_language("it")
    try:
        window = shown(qtbot, [in_state("needs-sign-in")], [])
        window.table.selectRow(0)
        assert window.sign_in_button.text() == "Accedi di nuovo a work"
    finally:
        set_language("en")
