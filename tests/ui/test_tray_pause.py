"""The tray says until when the guard is paused, and offers 15 min / 1 hour / until I
resume."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.core.settings import ProxySettings, Settings
from bccguard.events import GuardState, StateChanged
from bccguard.ui.application import DesktopApp
from bccguard.ui.i18n import set_language
from bccguard.ui.status_window import StatusWindow
from bccguard.ui.tray import (
    UNTIL_RESUMED,
    TrayActions,
    TrayIcon,
    TrayMenu,
    pause_text,
)
from tests.support import MemorySecrets

pytestmark = pytest.mark.gui

NOW = time.mktime((2025, 3, 14, 10, 27, 0, 0, 0, -1))  # 10:27 local time


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


class Paused:
    """Tray actions over a pretend guard that remembers its pause."""

    def __init__(self) -> None:
        self.until = 0.0
        self.asked: list[float] = []

    def pause(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.until = NOW + seconds if seconds else 0.0

    def actions(self) -> TrayActions:
        return TrayActions(
            open_check=lambda: None,
            open_held=lambda: None,
            open_settings=lambda: None,
            pause=self.pause,
            quit=lambda: None,
            paused_until=lambda: self.until,
            clock=lambda: NOW,
        )


def entry(menu: TrayMenu, text: str):  # type: ignore[no-untyped-def]
    return next(a for a in menu.actions() if a.text() == text)


def test_guarding_offers_three_pauses(qtbot) -> None:
    guard = Paused()
    menu = TrayMenu(guard.actions())
    menu.state = StateChanged(GuardState.GUARDING)
    menu.rebuild()
    entries = menu.entries()
    assert "Pause for 15 minutes" in entries
    assert "Pause for 1 hour" in entries
    assert "Pause until I resume" in entries
    entry(menu, "Pause for 1 hour").trigger()
    assert guard.asked == [3600]


def test_paused_says_until_when_in_menu_tooltip_and_window(qtbot) -> None:
    guard = Paused()
    guard.pause(15 * 60)
    menu = TrayMenu(guard.actions())
    icon = TrayIcon(menu, lambda: None)
    icon.show_state(StateChanged(GuardState.PAUSED, "paused"))
    menu.rebuild()
    assert menu.entries()[0] == "Paused until 10:42: mail is not checked"
    assert "Resume guarding" in menu.entries()
    assert icon.toolTip() == "BccGuard — Paused until 10:42: mail is not checked"
    window = StatusWindow(menu, 2525)
    qtbot.addWidget(window)
    window.show_state(StateChanged(GuardState.PAUSED, "paused"))
    assert "until 10:42" in window.title.text()


def test_paused_until_resumed_names_no_time(qtbot) -> None:
    guard = Paused()
    menu = TrayMenu(guard.actions())
    menu.state = StateChanged(GuardState.GUARDING)
    menu.rebuild()
    entry(menu, "Pause until I resume").trigger()
    assert guard.asked == [UNTIL_RESUMED]
    menu.state = StateChanged(GuardState.PAUSED, "paused")
    menu.rebuild()
    assert menu.entries()[0] == "Paused until you resume: mail is not checked"
    entry(menu, "Resume guarding").trigger()
    assert guard.until == 0.0


def test_the_tray_guards_again_when_a_pause_ends(qtbot, qapp, tmp_path) -> None:
    settings = Settings(proxy=ProxySettings(port=free_port()))
    desktop = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    desktop.start()
    try:
        desktop.pause(1)
        qtbot.waitUntil(lambda: desktop.menu.state.state is GuardState.PAUSED)
        assert "Paused until" in desktop.menu.state_line()
        qtbot.waitUntil(
            lambda: desktop.menu.state.state is GuardState.GUARDING, timeout=4000
        )
    finally:
        desktop.shutdown()


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_pause_into_another_day_names_no_weekday(lang: str) -> None:
    """Days in words the catalogue has: tomorrow, else the date as other windows."""
    set_language(lang)
    tomorrow = time.mktime((2025, 3, 15, 9, 30, 0, 0, 0, -1))
    later = time.mktime((2025, 3, 18, 9, 30, 0, 0, 0, -1))
    words = {
        "en": (
            "Paused until tomorrow at 09:30: mail is not checked",
            "Paused until 2025-03-18 09:30: mail is not checked",
        ),
        "it": (
            "In pausa fino a domani alle 09:30: la posta non viene controllata",
            "In pausa fino al 2025-03-18 09:30: la posta non viene controllata",
        ),
    }
    assert (pause_text(tomorrow, NOW), pause_text(later, NOW)) == words[lang]
