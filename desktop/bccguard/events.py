"""What the running guard tells its listeners (tray, CLI, logs): plain values, no Qt."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bccguard.core.held import HeldMessage


class GuardState(StrEnum):
    """What the guard is doing; the tray icon shows it."""

    STARTING = "starting"
    GUARDING = "guarding"
    PAUSED = "paused"
    ATTENTION = "attention"  # a held message waits for the user
    ERROR = "error"  # e.g. the proxy port is taken, upstream unreachable
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The guard's state changed; ``detail`` says why, for people."""

    state: GuardState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class MessageHeld:
    """A message was held and waits for a decision."""

    held: HeldMessage


@dataclass(frozen=True, slots=True)
class HeldUpdated:
    """A held message was decided, sent, discarded, or failed to send."""

    held: HeldMessage


@dataclass(frozen=True, slots=True)
class CountdownStarted:
    """A passing message waits a few seconds for an Undo before it goes."""

    held: HeldMessage


@dataclass(frozen=True, slots=True)
class CountdownUndone:
    """The user undid a countdown: the message waits as a held message."""

    held: HeldMessage


@dataclass(frozen=True, slots=True)
class CountdownEnded:
    """A message that counted down reached its outcome (sent, not sent...)."""

    held: HeldMessage


@dataclass(frozen=True, slots=True)
class MessageRelayed:
    """A message left through the relay (or tried to)."""

    message_id: str
    recipients: int
    ok: bool
    reply: str
    converted: bool = False
    # Why the server could not be reached ("": it could; the tray shows it).
    upstream_problem: str = ""


class MailboxAlertKind(StrEnum):
    """What the IMAP watcher found."""

    RISKY_DRAFT = "risky-draft"  # a draft that would be held, saved anywhere
    SENT_EXPOSED = "sent-exposed"  # a message that went out showing everyone
    REPLY_ALL = "reply-all"  # someone replied to all on an incident's thread
    OUTBOX_HELD = "outbox-held"  # a message in the IMAP outbox would be held
    OUTBOX_SENT = "outbox-sent"  # a message from the IMAP outbox was sent


@dataclass(frozen=True, slots=True)
class MailboxAlert:
    """Something in a watched mailbox needs the user's attention."""

    kind: MailboxAlertKind
    account: str
    folder: str
    uid: int
    subject: str
    message_id: str
    exposed_count: int
    incident_id: str = ""
    reply_all_count: int = 0


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    """A watched mailbox connected, or failed (and will retry, or with
    ``needs_sign_in`` waits until the account is signed in again)."""

    account: str
    ok: bool
    detail: str
    needs_sign_in: bool = False


Event = (
    StateChanged
    | MessageHeld
    | HeldUpdated
    | CountdownStarted
    | CountdownUndone
    | CountdownEnded
    | MessageRelayed
    | MailboxAlert
    | MailboxStatus
)


class EventSink(Protocol):
    """Anything that wants to hear from the guard; called from worker threads."""

    def emit(self, event: Event) -> None:
        """Receive one event; must not block."""
        ...


class LoggingSink:
    """An event sink that writes each event to the log (``bccguard serve``)."""

    def __init__(self) -> None:
        self._log = logging.getLogger("bccguard.events")

    def emit(self, event: Event) -> None:
        """Log one event at INFO, without addresses."""
        match event:
            case StateChanged(state, detail):
                self._log.info(
                    "guard %s%s", state.value, f": {detail}" if detail else ""
                )
            case MessageHeld(held):
                self._log.info(
                    "held %s (%s): %d exposed, threshold %d",
                    held.id,
                    held.message_id,
                    held.exposed_count,
                    held.threshold,
                )
            case HeldUpdated(held):
                self._log.info(
                    "held %s is %s %s", held.id, held.state.value, held.outcome
                )
            case CountdownStarted(held):
                self._log.info(
                    "%s (%s) goes at %s unless undone",
                    held.id,
                    held.message_id,
                    time.strftime("%H:%M:%S", time.localtime(held.countdown_until)),
                )
            case CountdownUndone(held):
                self._log.info("%s (%s) was undone: held", held.id, held.message_id)
            case CountdownEnded(held):
                self._log.info(
                    "%s (%s) counted down and is %s",
                    held.id,
                    held.message_id,
                    held.state.value,
                )
            case MailboxAlert() as alert:
                self._log.info(
                    "%s in %s/%s: %s (%d exposed)",
                    alert.kind.value,
                    alert.account,
                    alert.folder,
                    alert.message_id,
                    alert.exposed_count,
                )
            case MailboxStatus(account, ok, detail):
                self._log.log(
                    logging.INFO if ok else logging.WARNING,
                    "mailbox %s: %s",
                    account,
                    detail,
                )
            case MessageRelayed(message_id, recipients, ok, reply, converted):
                self._log.info(
                    "relayed %s to %d recipients%s: %s",
                    message_id,
                    recipients,
                    " (converted)" if converted else "",
                    reply if ok else f"FAILED {reply}",
                )


class FanOut:
    """Passes every event to several sinks."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = list(sinks)

    def emit(self, event: Event) -> None:
        """Hand ``event`` to each sink in turn."""
        for sink in self.sinks:
            sink.emit(event)
