"""The tray icon: its look tells the guard's state; its menu is rebuilt on opening."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from bccguard.events import GuardState, StateChanged
from bccguard.ui.i18n import tr
from bccguard.ui.icons import state_icon

_STATE_TEXT = {
    GuardState.STARTING: "Starting…",
    GuardState.GUARDING: "Guarding your outgoing mail",
    GuardState.PAUSED: "Paused: mail is not checked",
    GuardState.ATTENTION: "A held message needs your decision",
    GuardState.ERROR: "Not guarding: {detail}",
    GuardState.STOPPED: "Stopped",
}


def state_text(event: StateChanged) -> str:
    """One line for people about the guard's state."""
    return tr(_STATE_TEXT[event.state], detail=event.detail)


@dataclass
class TrayActions:
    """What the menu entries do; the application hands these in."""

    open_check: Callable[[], object]
    open_held: Callable[[], None]
    open_settings: Callable[[], None]
    pause: Callable[[int], None]  # seconds; 0 resumes
    quit: Callable[[], None]
    open_incidents: Callable[[], None] | None = None
    send_sample: Callable[[], None] | None = None  # demo mode only
    open_outbox: Callable[[], None] | None = None  # demo mode only


class TrayMenu(QMenu):
    """The menu shared by the tray icon and the window used where there is no tray."""

    def __init__(self, actions: TrayActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions_ = actions
        self.state = StateChanged(GuardState.STARTING)
        self.waiting = 0
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        """Build the entries for the current state (called on aboutToShow)."""
        self.clear()
        a = self.actions_
        status = self.addAction(state_text(self.state))
        status.setEnabled(False)
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
        self._add(tr("Settings…"), a.open_settings)
        self.addSeparator()
        self._add(tr("Quit BccGuard"), a.quit)

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
        self.setToolTip(f"BccGuard — {state_text(event)}")
