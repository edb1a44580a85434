"""The tray icon: its look tells the guard's state; its menu is rebuilt on opening."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from bccguard.events import GuardState, StateChanged
from bccguard.ui.i18n import N_, tr, tr_phrase
from bccguard.ui.icons import state_icon

_STATE_TEXT = {
    GuardState.STARTING: N_("Starting…"),
    GuardState.GUARDING: N_("Guarding your outgoing mail"),
    GuardState.PAUSED: N_("Paused: mail is not checked"),
    GuardState.ATTENTION: N_("A held message needs your decision"),
    GuardState.ERROR: N_("Not guarding: {detail}"),
    GuardState.STOPPED: N_("Stopped"),
}


# "Until I resume" is a pause longer than anyone waits; shown without an end.
UNTIL_RESUMED = 10 * 365 * 24 * 3600.0
_NO_END_AFTER = 30 * 24 * 3600.0


def pause_text(until: float, now: float) -> str:
    """When a pause ends, in words: "Paused until 10:42: mail is not checked"."""
    if until - now > _NO_END_AFTER:
        return tr("Paused until you resume: mail is not checked")
    end, today = date.fromtimestamp(until), date.fromtimestamp(now)
    clock = time.strftime("%H:%M", time.localtime(until))
    if end == today:
        return tr("Paused until {time}: mail is not checked", time=clock)
    if end == today + timedelta(days=1):
        return tr("Paused until tomorrow at {time}: mail is not checked", time=clock)
    # The date as the other windows write it: no weekday or month name to translate.
    return tr(
        "Paused until {date} {time}: mail is not checked",
        date=end.isoformat(),
        time=clock,
    )


def state_text(event: StateChanged, paused_until: float = 0.0, now: float = 0.0) -> str:
    """One line for people about the guard's state (with the pause's end)."""
    if event.state is GuardState.PAUSED and paused_until > 0:
        return pause_text(paused_until, now or time.time())
    return tr(_STATE_TEXT[event.state], detail=tr_phrase(event.detail))


@dataclass
class TrayActions:
    """What the menu entries do; the application hands these in."""

    open_check: Callable[[], object]
    open_held: Callable[[], None]
    open_settings: Callable[[], None]
    pause: Callable[[float], None]  # seconds; 0 resumes
    quit: Callable[[], None]
    open_incidents: Callable[[], None] | None = None
    send_sample: Callable[[], None] | None = None  # demo mode only
    open_outbox: Callable[[], None] | None = None  # demo mode only
    paused_until: Callable[[], float] = lambda: 0.0  # 0: not paused
    clock: Callable[[], float] = time.time
    # The proxy cannot listen (its port is taken): offer another port.
    choose_port: Callable[[], None] | None = None
    not_listening: Callable[[], bool] = lambda: False


class TrayMenu(QMenu):
    """The menu shared by the tray icon and the window used where there is no tray."""

    def __init__(self, actions: TrayActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions_ = actions
        self.state = StateChanged(GuardState.STARTING)
        self.waiting = 0
        self.progress: list[str] = []  # runs sent one by one ("… 37 of 200")
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        """Build the entries for the current state (called on aboutToShow)."""
        self.clear()
        a = self.actions_
        status = self.addAction(self.state_line())
        status.setEnabled(False)
        if a.choose_port is not None and a.not_listening():
            self._add(tr("Choose another port…"), a.choose_port)
        for line in self.progress:
            self._add(line, a.open_held)
        self.addSeparator()
        if a.send_sample is not None:
            self._add(tr("Send a sample mass mail (demo)"), a.send_sample)
        if a.open_outbox is not None:
            self._add(tr("Show what arrived (demo outbox)"), a.open_outbox)
        if a.send_sample is not None:
            self.addSeparator()
        self._add(tr("Check a message…"), a.open_check)
        held = (
            tr("Held messages ({n})", n=self.waiting)
            if self.waiting
            else tr("Held messages")
        )
        self._add(held, a.open_held)
        if a.open_incidents is not None:
            self._add(tr("Incidents"), a.open_incidents)
        self.addSeparator()
        if self.state.state is GuardState.PAUSED:
            self._add(tr("Resume guarding"), lambda: a.pause(0))
        else:
            self._add(tr("Pause for 15 minutes"), lambda: a.pause(15 * 60))
            self._add(tr("Pause for 1 hour"), lambda: a.pause(60 * 60))
            self._add(tr("Pause until I resume"), lambda: a.pause(UNTIL_RESUMED))
        self._add(tr("Settings…"), a.open_settings)
        self.addSeparator()
        self._add(tr("Quit BccGuard"), a.quit)

    def state_line(self) -> str:
        """The guard's state in words, with the end of a pause."""
        a = self.actions_
        return state_text(self.state, a.paused_until(), a.clock())

    def _add(self, text: str, slot: Callable[[], object]) -> QAction:
        action = self.addAction(text)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def entries(self) -> list[str]:
        """The texts of the menu entries (for tests and the status window)."""
        return [action.text() for action in self.actions() if not action.isSeparator()]


class TrayIcon(QSystemTrayIcon):
    """The guard in the system tray."""

    def __init__(self, menu: TrayMenu, on_activate: Callable[[], None]) -> None:
        super().__init__(state_icon(GuardState.STARTING))
        self.menu = menu
        self.setContextMenu(menu)
        self.activated.connect(
            lambda reason: (
                on_activate()
                if reason == QSystemTrayIcon.ActivationReason.Trigger
                else None
            )
        )
        self.show_state(menu.state)

    def show_state(self, event: StateChanged) -> None:
        """Update the icon and tooltip for the guard's new state."""
        self.menu.state = event
        self.setIcon(state_icon(event.state))
        self.setToolTip(
            "\n".join([f"BccGuard — {self.menu.state_line()}", *self.menu.progress])
        )

    def show_progress(self, lines: list[str]) -> None:
        """The runs sent one by one, in the menu and the tooltip."""
        self.menu.progress = lines
        self.show_state(self.menu.state)
