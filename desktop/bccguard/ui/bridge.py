"""Turns the guard's events (from worker threads) into Qt signals (in the GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from bccguard.events import (
    Event,
    HeldUpdated,
    MessageHeld,
    MessageRelayed,
    StateChanged,
)


class GuardBridge(QObject):
    """An :class:`~bccguard.events.EventSink` whose signals the widgets connect to.

    Signals emitted from another thread reach slots in the GUI thread through Qt's
    queued connections, so no widget is touched off its thread.
    """

    state_changed = Signal(object)  # StateChanged
    message_held = Signal(object)  # HeldMessage
    held_updated = Signal(object)  # HeldMessage
    message_relayed = Signal(object)  # MessageRelayed

    def emit(self, event: Event) -> None:
        """EventSink: re-emit ``event`` as the matching signal."""
        match event:
            case StateChanged():
                self.state_changed.emit(event)
            case MessageHeld(held):
                self.message_held.emit(held)
            case HeldUpdated(held):
                self.held_updated.emit(held)
            case MessageRelayed():
                self.message_relayed.emit(event)
