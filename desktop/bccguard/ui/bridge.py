"""Turns the guard's events (worker threads) into Qt signals (the GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from bccguard.events import (
    CountdownEnded,
    CountdownStarted,
    CountdownUndone,
    Event,
    HeldUpdated,
    MailboxAlert,
    MailboxStatus,
    MessageHeld,
    MessageRelayed,
    StateChanged,
)


class GuardSignals(QObject):
    """The guard's events as Qt signals; lives in the GUI thread."""

    state_changed = Signal(object)  # StateChanged
    message_held = Signal(object)  # HeldMessage
    held_updated = Signal(object)  # HeldMessage
    countdown_started = Signal(object)  # HeldMessage
    countdown_undone = Signal(object)  # HeldMessage
    countdown_ended = Signal(object)  # HeldMessage
    message_relayed = Signal(object)  # MessageRelayed
    mailbox_alert = Signal(object)  # MailboxAlert
    mailbox_status = Signal(object)  # MailboxStatus


class GuardBridge:
    """An :class:`~bccguard.events.EventSink` that re-emits events as Qt signals.

    Signals emitted from another thread reach slots in the GUI thread through Qt's
    queued connections, so no widget is touched off its thread.
    """

    def __init__(self) -> None:
        self.signals = GuardSignals()

    def emit(self, event: Event) -> None:
        """EventSink: re-emit ``event`` as the matching signal."""
        signals = self.signals
        match event:
            case StateChanged():
                signals.state_changed.emit(event)
            case MessageHeld(held):
                signals.message_held.emit(held)
            case HeldUpdated(held):
                signals.held_updated.emit(held)
            case CountdownStarted(held):
                signals.countdown_started.emit(held)
            case CountdownUndone(held):
                signals.countdown_undone.emit(held)
            case CountdownEnded(held):
                signals.countdown_ended.emit(held)
            case MessageRelayed():
                signals.message_relayed.emit(event)
            case MailboxAlert():
                signals.mailbox_alert.emit(event)
            case MailboxStatus():
                signals.mailbox_status.emit(event)
