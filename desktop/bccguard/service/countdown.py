"""Undo send in the running guard: passing messages wait for an Undo, durably.

The submission desk hands over a passing message of an account with a delay;
it is stored as a ``queued`` record due when the countdown ends, and the mail
program is answered 250 at once (BccGuard has taken responsibility, as for a
slow server), so the delay never eats into the program's own timeout. The hold
engine's scheduler sends it when due, with the exactly-once machinery of every
release; a crash keeps the stored time. The user can undo it until its attempt
starts (it becomes a held message) or send it now.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable

from bccguard.adapters.held_store import HeldStore
from bccguard.adapters.smtp_proxy import Submission
from bccguard.core.countdown import (
    counting_down,
    from_countdown,
    people,
    sent_now,
    undone,
    was_undone,
    with_countdown,
)
from bccguard.core.held import HeldMessage
from bccguard.core.verdict import Verdict
from bccguard.events import (
    CountdownEnded,
    CountdownStarted,
    CountdownUndone,
    EventSink,
)
from bccguard.service.engine import HoldEngine

log = logging.getLogger(__name__)


class Countdowns:
    """Starts, undoes and hurries the countdowns of passing messages."""

    def __init__(
        self,
        engine: HoldEngine,
        events: EventSink,
        clock: Callable[[], float],
    ) -> None:
        self._engine = engine
        self._events = events
        self._clock = clock
        # Looking for the same submission and storing it are one step: two copies
        # of a message sent at once never become two countdowns.
        self._starting = threading.Lock()
        self._ended: set[str] = set()

    def start(
        self, sub: Submission, verdict: Verdict, delay: float
    ) -> tuple[HeldMessage, bool]:
        """Store ``sub`` durably, due in ``delay`` seconds; the record and True,
        or the record of the same submission (a mail program's retry) and False.

        Raises:
            HeldStoreError: it could not be stored (nothing was promised yet).
        """
        now = self._clock()
        record = HeldMessage.from_verdict(
            held_id=HeldStore.new_id(),
            received_at=now,
            mail_from=sub.mail_from,
            recipients=sub.recipients,
            data=sub.data,
            verdict=verdict,
        )
        with self._starting:
            known = self._engine.find_key(record.key)
            if known is not None:
                return known, False
            record = self._engine.take_on(
                with_countdown(record, now, delay), sub.data, running=False
            )
        log.info("%s waits %g s for an Undo as %s", record.message_id, delay, record.id)
        self._events.emit(CountdownStarted(record))
        return record, True

    def active(self) -> list[HeldMessage]:
        """The messages counting down now, the soonest first."""
        found = [h for h in self._engine.all() if counting_down(h)]
        return sorted(found, key=lambda h: h.countdown_until)

    def undo(self, held_id: str) -> HeldMessage:
        """Stop ``held_id`` before it goes: it waits as a held message.

        Raises:
            GuardError: no such message, or it is no longer counting down.
        """
        record = self._engine.amend(held_id, lambda h: undone(h, self._clock()))
        log.info("%s was undone: it waits as a held message", held_id)
        self._events.emit(CountdownUndone(record))
        return record

    def send_now(self, held_id: str) -> HeldMessage:
        """End ``held_id``'s countdown at once.

        Raises:
            GuardError: no such message, or it is no longer counting down.
        """
        return self._engine.amend(held_id, lambda h: sent_now(h, self._clock()))

    def note(self, held: HeldMessage) -> None:
        """A record changed: a countdown that reached its outcome is told once
        (an undone one is a held message by then, told as such)."""
        if not held.state.final or not from_countdown(held) or was_undone(held):
            return
        with self._starting:
            if held.id in self._ended:
                return
            self._ended.add(held.id)
        self._events.emit(CountdownEnded(held))


def accepted_reply(held: HeldMessage, now: float) -> str:
    """The mail program's 250: BccGuard has it and sends it when the time is up."""
    left = max(0, math.ceil(held.countdown_until - now))  # as a countdown shows it
    n = people(held)
    whom = f"{n} recipient" if n == 1 else f"{n} recipients"
    return (
        f"250 2.0.0 BccGuard has it ({held.id}) and sends it to {whom} in {left} s: "
        "Undo in BccGuard until then"
    )
