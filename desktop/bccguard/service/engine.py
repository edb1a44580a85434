"""The hold engine: the one owner of every message BccGuard keeps.

The proxy, the IMAP outbox, the UI and the CLI ask it; none of them changes a
record. Each transition (``core.held``) is written to the store before it is
acted on: before a final dot goes, the record says so. A scheduler hands queued
messages to their account's workers when they are due; an attempt sends only to
the recipients not yet delivered, so a recipient gets a message at most once.
At start-up, a message interrupted before its final dot is queued again; one
interrupted after it is "uncertain" and the user decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from dataclasses import replace
from typing import Protocol, TypeVar

from bccguard.adapters.held_store import HeldStore, HeldStoreError
from bccguard.adapters.relay_reply import reply_for
from bccguard.adapters.smtp_relay import (
    AfterBatch,
    BatchOutcome,
    BeforeFinalDot,
    RelayResult,
)
from bccguard.core.bcc_conversion import ToStyle, to_relay_form
from bccguard.core.held import (
    HeldError,
    HeldMessage,
    HeldState,
    Origin,
    Resolution,
    RetryPlan,
)
from bccguard.core.individual_copies import message_id_for
from bccguard.core.one_by_one import is_run, run_token
from bccguard.core.one_by_one import recovered as run_recovered
from bccguard.core.one_by_one import went_out as run_went_out
from bccguard.core.phrase import Phrase
from bccguard.core.settings import Settings
from bccguard.core.verdict import Verdict
from bccguard.events import EventSink, HeldUpdated, MessageHeld, MessageRelayed
from bccguard.service.errors import GuardError
from bccguard.service.incident_record import IncidentRecorder
from bccguard.service.journal import JournalEntry
from bccguard.service.replies import reply_for_record, retry_reply

log = logging.getLogger(__name__)
_T = TypeVar("_T")


# Whether a message is in its account's Sent folder (None: cannot tell).
SentLookup = Callable[[HeldMessage], "bool | None"]


class MessageStore(Protocol):
    """Where held messages live durably (a folder today; Postfix's queue later)."""

    def add(self, held: HeldMessage, data: bytes) -> None:
        """Store a new message; returns once it is durable."""
        ...

    def update(self, held: HeldMessage) -> None:
        """Replace a record durably."""
        ...

    def replace_data(self, held_id: str, data: bytes) -> None:
        """Give a record its message bytes (a journal-only record's retry)."""
        ...

    def data(self, held_id: str) -> bytes:
        """The bytes as received."""
        ...

    def all(self) -> list[HeldMessage]:
        """Every record."""
        ...


class Outlet(Protocol):
    """How released messages leave: the relays of the accounts (the desktop), or
    Postfix's queue (the milter). ``Relays`` is the desktop's."""

    def account_key(self, mail_from: str) -> str:
        """The name of the way ``mail_from``'s mail leaves by ("" if none)."""
        ...

    def pool(self, key: str) -> ThreadPoolExecutor:
        """The workers for the way ``key``.

        Raises:
            GuardError: stopping.
        """
        ...

    def send(
        self,
        mail_from: str,
        recipients: Sequence[str],
        data: bytes,
        *,
        before_final_dot: BeforeFinalDot | None = None,
        after_batch: AfterBatch | None = None,
    ) -> RelayResult:
        """Send ``data``; never raises for a refusal (it is in the result)."""
        ...


class CopySender(Protocol):
    """Sends the next copy of a one-by-one run (``service.individual_run``)."""

    def attempt(self, record: HeldMessage) -> HeldMessage:
        """Send one copy (or wait for the budget); the record to write after it
        (the engine writes it as the attempt ends, so that nobody sees the outcome
        while the record still counts as being sent)."""
        ...


Waiter = Future[str]


class HoldEngine:
    """States, transitions and attempts of held messages; the store's only writer."""

    def __init__(
        self,
        store: MessageStore,
        relays: Outlet,
        events: EventSink,
        settings: Callable[[], Settings],
        *,
        incidents: IncidentRecorder,
        clock: Callable[[], float] = time.time,
        sent_lookup: SentLookup | None = None,
    ) -> None:
        self._store = store
        self._sent_lookup = sent_lookup
        self._lookups = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sent")
        self._relays = relays
        self._events = events
        self._settings = settings
        self._incidents = incidents
        self._clock = clock
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._records = {h.id: h for h in store.all()}
        self._by_key = {h.key: h.id for h in self._records.values()}
        self._running: set[str] = set()  # an attempt is under way in this process
        self._waiters: dict[str, list[Waiter]] = {}
        self._decisions: dict[str, list[Future[HeldMessage]]] = {}
        self._last: dict[str, RelayResult] = {}
        self._stopping = False
        self._scheduler: threading.Thread | None = None
        # Sends the copies of "send one by one" (None: such records never go).
        self.one_by_one: CopySender | None = None

    # -- life cycle -------------------------------------------------------------

    def start(self, unfinished: Iterable[JournalEntry] = ()) -> None:
        """Recover what a crash left, then start sending what is due."""
        for record in list(self._records.values()):
            if is_run(record) and record.state is HeldState.SENDING:
                recovered = run_recovered(record)  # one copy, not the whole run
            else:
                recovered = record.recovered()
            if recovered != record:
                log.warning(
                    "held %s was %s when BccGuard stopped: now %s",
                    record.id,
                    record.state.value,
                    recovered.state.value,
                )
                self._write(recovered)
        for entry in unfinished:
            self._adopt_unfinished(entry)
        self._scheduler = threading.Thread(
            target=self._schedule, name="hold-engine", daemon=True
        )
        self._scheduler.start()

    def stop(self) -> None:
        """Stop starting attempts (those under way finish in their workers)."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._scheduler is not None:
            self._scheduler.join(5)
        self._lookups.shutdown(wait=False, cancel_futures=True)

    # -- reading ------------------------------------------------------------------

    def all(self) -> list[HeldMessage]:
        """Every record, oldest first."""
        with self._lock:
            return sorted(self._records.values(), key=lambda h: h.received_at)

    def get(self, held_id: str) -> HeldMessage | None:
        """The record ``held_id``, or None."""
        with self._lock:
            return self._records.get(held_id)

    def find_key(self, key: str) -> HeldMessage | None:
        """The record of the same submission (a client's retry), if any."""
        with self._lock:
            held_id = self._by_key.get(key)
            return self._records.get(held_id) if held_id else None

    def retry_plan(self) -> RetryPlan:
        """How temporary refusals are retried, from the settings in force."""
        delivery = self._settings().delivery
        return RetryPlan(delivery.retry_delays, delivery.max_attempts)

    def waiting(self) -> list[HeldMessage]:
        """The records that wait for the user."""
        return [h for h in self.all() if h.state.needs_user]

    # -- new records ----------------------------------------------------------------

    def hold(
        self,
        *,
        mail_from: str,
        recipients: tuple[str, ...],
        data: bytes,
        verdict: Verdict,
        extra: Mapping[str, str] | None = None,
    ) -> HeldMessage:
        """Store a held submission durably and tell the user (or find the record
        of the same submission, a client's retry).

        ``extra``: what the caller needs to find the message again (the milter:
        Postfix's queue ID).

        Raises:
            HeldStoreError: it could not be stored (nothing was promised yet).
        """
        with self._lock:
            record = HeldMessage.from_verdict(
                held_id=HeldStore.new_id(),
                received_at=self._clock(),
                mail_from=mail_from,
                recipients=recipients,
                data=data,
                verdict=verdict,
            )
            known = self.find_key(record.key)
            if known is not None:
                log.info("held %s: the client sent it again", known.id)
                if not known.has_data:
                    return self._attach(known, data)
                return known
            record = replace(
                record,
                account=self._relays.account_key(mail_from),
                extra=dict(extra or {}),
            )
            self._store.add(record, data)
            # The incident first: an answer given the moment the message is seen
            # looks its incident up to record the outcome.
            self._incidents.held(record)
            self._remember(record)
        self._events.emit(MessageHeld(record))
        return record

    def take_on(
        self, record: HeldMessage, data: bytes, *, running: bool
    ) -> HeldMessage:
        """Store a passing message BccGuard finishes itself (durable first).

        ``running``: an attempt for it is under way already (the slow server's);
        its outcome is recorded by the caller through :meth:`dot_going`,
        :meth:`batch_done` and :meth:`attempt_done`.

        Raises:
            HeldStoreError: it could not be stored.
        """
        record = replace(
            record,
            origin=Origin.PASSED,
            account=self._relays.account_key(record.mail_from),
        )
        with self._lock:
            self._store.add(record, data)
            self._remember(record)
            if running:
                self._running.add(record.id)
        self._events.emit(HeldUpdated(record))
        if record.state is HeldState.UNCERTAIN:
            self._look_in_sent(record)
        if not running:
            self._nudge()
        return record

    def _adopt_unfinished(self, entry: JournalEntry) -> None:
        """A passing message whose final dot went just before a crash."""
        record = HeldMessage(
            id=HeldStore.new_id(),
            received_at=entry.at,
            mail_from=entry.mail_from,
            recipients=entry.recipients,
            subject=entry.subject,
            message_id=entry.message_id,
            key=entry.key,
            size=0,
            visible_count=0,
            exposed_count=0,
            threshold=0,
            domains=(),
            exposed=(),
            reasons=(),
            state=HeldState.UNCERTAIN,
            resolution=Resolution.AS_IS,
            outcome="may have been sent: BccGuard stopped while the server was "
            "confirming it",
            origin=Origin.PASSED,
            uncertain=entry.recipients,
            has_data=False,
            account=self._relays.account_key(entry.mail_from),
        )
        try:
            self._store.add(record, b"")
        except HeldStoreError:
            log.exception("could not keep the unfinished message %s", entry.message_id)
            return
        with self._lock:
            self._remember(record)
        log.warning(
            "%s may have been sent: BccGuard stopped while the server was confirming",
            entry.message_id or "a message",
        )
        self._events.emit(HeldUpdated(record))
        self._look_in_sent(record)

    def _attach(self, record: HeldMessage, data: bytes) -> HeldMessage:
        """A journal-only record's message arrived again from the mail program."""
        self._store.replace_data(record.id, data)
        return self._write(replace(record, has_data=True, size=len(data)))

    # -- decisions ------------------------------------------------------------------

    def decide(
        self,
        held_id: str,
        resolution: Resolution,
        *,
        prepare: Callable[[HeldMessage], HeldMessage] | None = None,
    ) -> Future[HeldMessage]:
        """Carry out the user's answer; the future resolves when it is done (for a
        release: after the first attempt). ``prepare`` gives the record the
        answer's options first (those of "send one by one").

        Raises:
            GuardError: no such record, or the answer does not fit its state.
        """
        done: Future[HeldMessage] = Future()
        with self._lock:
            record = self._records.get(held_id)
            if record is None:
                raise GuardError(Phrase("no held message {id}", id=held_id))
            if held_id in self._running:
                raise GuardError(
                    Phrase(
                        "held message {id} is being sent right now; try again when "
                        "it is done",
                        id=held_id,
                    )
                )
            try:
                if prepare is not None:
                    record = prepare(record)
                record = record.decided(resolution, self._clock())
            except HeldError as error:
                raise GuardError(str(error)) from error
            record = self._write(record)
            if record.state is HeldState.QUEUED:
                self._decisions.setdefault(held_id, []).append(done)
                self._wake.notify_all()
                return done
        self._answer_waiters(record)
        self._incidents.outcome(record)
        _settle(done, record)
        return done

    def signed_in(self, account: str) -> None:
        """An account's credentials changed: its messages waiting for it go now."""
        with self._lock:
            for record in list(self._records.values()):
                if record.account == account or not account:
                    again = record.signed_in(self._clock())
                    if again is not record:
                        self._write(again)
            self._wake.notify_all()

    def amend(
        self, held_id: str, change: Callable[[HeldMessage], HeldMessage]
    ) -> HeldMessage:
        """Apply a transition of ``core`` that is not an answer (a countdown's Undo
        or Send now), unless an attempt for the record is under way.

        Raises:
            GuardError: no such record, it is being sent, or ``change`` refuses.
        """
        with self._lock:
            record = self._records.get(held_id)
            if record is None:
                raise GuardError(Phrase("no held message {id}", id=held_id))
            if held_id in self._running:
                raise GuardError(
                    Phrase(
                        "held message {id} is being sent already: too late to stop it",
                        id=held_id,
                    )
                )
            try:
                changed = change(record)
            except HeldError as error:
                raise GuardError(str(error)) from error
            record = self._write(changed)
            self._wake.notify_all()
        return record

    # -- client replies ---------------------------------------------------------------

    async def reply_when_done(self, held_id: str, timeout: float) -> str | None:
        """The reply for a waiting mail client once the record has an outcome, or
        None when ``timeout`` passes first."""
        waiter: Waiter = Future()
        with self._lock:
            record = self._records.get(held_id)
            if record is None:
                return None
            if self._answerable(record):
                return reply_for_record(record, self._last.get(held_id))
            self._waiters.setdefault(held_id, []).append(waiter)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(waiter), timeout)
        except TimeoutError:
            return None
        finally:
            with self._lock:
                waiting = self._waiters.get(held_id, [])
                if waiter in waiting:
                    waiting.remove(waiter)

    def stop_waiting(self) -> int:
        """Answer every mail program still waiting (BccGuard is stopping): the
        message waits in BccGuard; how many were answered."""
        with self._lock:
            waiting, self._waiters = self._waiters, {}
        answered = 0
        for held_id, waiters in waiting.items():
            reply = (
                f"421 4.3.2 BccGuard is stopping; the message waits in BccGuard as "
                f"{held_id}: decide there"
            )
            for waiter in waiters:
                _settle(waiter, reply)
                answered += 1
        return answered

    def reply_now(self, held_id: str) -> str:
        """The reply that tells a mail client where ``held_id`` stands now."""
        with self._lock:
            record = self._records[held_id]
            return reply_for_record(record, self._last.get(held_id))

    def retry_reply(self, held_id: str) -> str:
        """The reply for a mail program that sends ``held_id`` again."""
        with self._lock:
            record = self._records[held_id]
            return retry_reply(record, self._last.get(held_id))

    def _answerable(self, record: HeldMessage) -> bool:
        """True when a waiting client can be told the outcome now."""
        if record.id in self._running or record.state is HeldState.WAITING:
            return False
        return not (record.state is HeldState.QUEUED and record.attempts == 0)

    def _answer_waiters(self, record: HeldMessage) -> None:
        with self._lock:
            if not self._answerable(record):
                return
            waiters = self._waiters.pop(record.id, [])
            reply = reply_for_record(record, self._last.get(record.id))
        for waiter in waiters:
            _settle(waiter, reply)

    # -- attempts ------------------------------------------------------------------

    def _schedule(self) -> None:
        """Hand due messages to their account's workers; sleep until the next."""
        with self._wake:
            while not self._stopping:
                now = self._clock()
                due: list[HeldMessage] = []
                later: list[HeldMessage] = []
                for record in self._records.values():
                    if record.state is not HeldState.QUEUED:
                        continue
                    if record.id in self._running:
                        continue
                    (due if record.next_attempt <= now else later).append(record)
                for record in due:
                    self._dispatch(record)
                pause = min((r.next_attempt - now for r in later), default=30.0)
                self._wake.wait(timeout=max(0.05, min(pause, 30.0)))

    def _dispatch(self, record: HeldMessage) -> None:
        try:
            pool = self._relays.pool(record.account)
        except GuardError:
            return  # stopping
        self._running.add(record.id)
        pool.submit(self._attempt, record.id)

    def _nudge(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _attempt(self, held_id: str) -> None:
        """One attempt at the pending recipients of a queued record."""
        try:
            record = self.get(held_id)
            if record is None or record.state is not HeldState.QUEUED:
                return
            if is_run(record):
                if self.one_by_one is None:
                    raise GuardError(Phrase("this guard cannot send one by one"))
                self._copy_done(self.one_by_one.attempt(record))
                return
            data = self._store.data(held_id)
            if record.resolution is Resolution.BCC:
                data = to_relay_form(data, ToStyle(self._settings().policy.to_style))
            self._write(record.attempt_started(()))
            result = self._relays.send(
                record.mail_from,
                record.pending,
                data,
                before_final_dot=lambda batch: self.dot_going(held_id, batch),
                after_batch=lambda outcome: self.batch_done(held_id, outcome),
            )
        except Exception as error:  # a bug or a broken store: retry later
            log.exception("attempt at held %s failed", held_id)
            failure = BatchOutcome((), 451, f"4.3.0 BccGuard: {error}")
            result = RelayResult((failure,))
        self.attempt_done(held_id, result, release=True)

    def dot_going(self, held_id: str, batch: tuple[str, ...]) -> None:
        """Record durably that ``batch``'s final dot is about to go.

        Raises:
            HeldStoreError: it could not be recorded: the dot must not be sent.
        """
        with self._lock:
            record = self._records[held_id]
            self._write(record.attempt_started(batch).dot_going())

    def batch_done(self, held_id: str, outcome: BatchOutcome) -> None:
        """Note one batch's outcome (written with the next change)."""
        with self._lock:
            record = self._records[held_id]
            self._records[held_id] = record.batch_done(outcome.outcomes())

    def attempt_done(
        self, held_id: str, result: RelayResult, *, release: bool
    ) -> HeldMessage:
        """Settle a record after an attempt and answer whoever waits on it."""
        plan = self.retry_plan()
        sign_in = any(b.sign_in for b in result.batches)
        with self._lock:
            record = self._records[held_id]
            if record.state is not HeldState.SENDING:
                record = record.attempt_started(())
            record = record.attempt_finished(self._clock(), plan, sign_in=sign_in)
            self._last[held_id] = result
            try:
                record = self._write(record)
            except HeldStoreError:
                log.exception("could not record the outcome of %s", held_id)
                self._records[held_id] = record
            if release:
                self._running.discard(held_id)
            decisions = self._decisions.pop(held_id, [])
            self._wake.notify_all()
        self._events.emit(
            MessageRelayed(
                record.message_id,
                sum(len(b.recipients) for b in result.batches),
                result.ok,
                reply_for(result) if result.batches else "",
                converted=record.resolution is Resolution.BCC,
                upstream_problem=result.unreachable,
            )
        )
        self._answer_waiters(record)
        if record.state.final:
            self._incidents.outcome(record)
        for future in decisions:
            _settle(future, record)
        if record.state.final and record.refused:
            log.warning(
                "held %s: %d recipients refused by the server",
                held_id,
                len(record.refused),
            )
        return record

    def progress(self, record: HeldMessage) -> HeldMessage:
        """Write a record whose attempt is under way (the one-by-one sender)."""
        return self._write(record)

    def _copy_done(self, record: HeldMessage) -> None:
        """One copy of a one-by-one run was tried: write where it stands."""
        with self._lock:
            try:
                record = self._write(record)
            except HeldStoreError:
                log.exception("could not record the outcome of %s", record.id)
                self._records[record.id] = record
            self._running.discard(record.id)
            decisions = self._decisions.pop(record.id, [])
            self._wake.notify_all()
        self._answer_waiters(record)
        if record.state.final:
            self._incidents.outcome(record)
        for future in decisions:
            _settle(future, record)

    def release_running(self, held_id: str) -> None:
        """A taken-on attempt ended outside the engine's workers."""
        with self._lock:
            self._running.discard(held_id)
            self._wake.notify_all()

    # -- the store -------------------------------------------------------------------

    def _remember(self, record: HeldMessage) -> None:
        self._records[record.id] = record
        self._by_key[record.key] = record.id

    def _write(self, record: HeldMessage) -> HeldMessage:
        """Make ``record`` durable, then known, then heard of (in that order)."""
        with self._lock:
            before = self._records.get(record.id)
            self._store.update(record)
            self._records[record.id] = record
        self._events.emit(HeldUpdated(record))
        if record.state is HeldState.UNCERTAIN and (
            before is None or before.state is not HeldState.UNCERTAIN
        ):
            self._look_in_sent(record)
        return record

    # -- "may have been sent": the Sent folder may know -------------------------------

    def _look_in_sent(self, record: HeldMessage) -> None:
        """Before the user is asked, look for the message in the Sent folder."""
        if self._sent_lookup is None or not record.message_id:
            return
        with contextlib.suppress(RuntimeError):  # stopping
            self._lookups.submit(self._sent_answer, record.id)

    def _sent_answer(self, held_id: str) -> None:
        record = self.get(held_id)
        if record is None or record.state is not HeldState.UNCERTAIN:
            return
        assert self._sent_lookup is not None
        if is_run(record):
            self._copies_in_sent(record)
            return
        try:
            found = self._sent_lookup(record)
        except Exception:
            log.warning("could not look in the Sent folder", exc_info=True)
            return
        if not found:
            return
        with self._lock:
            current = self._records.get(held_id)
            if current is None or current.state is not HeldState.UNCERTAIN:
                return  # the user answered meanwhile
            done = current.decided(
                Resolution.WENT_OUT, self._clock(), why="found in your Sent folder"
            )
            log.info("held %s was found in the Sent folder: it went out", held_id)
            self._write(done)
            self._wake.notify_all()
        self._answer_waiters(done)
        if done.state.final:
            self._incidents.outcome(done)

    def _copies_in_sent(self, record: HeldMessage) -> None:
        """A run's uncertain copies, each looked for by its own Message-ID."""
        assert self._sent_lookup is not None
        lookup = self._sent_lookup
        try:
            data = self._store.data(record.id)
            token = run_token(record)
            found = tuple(
                rcpt
                for rcpt in record.uncertain
                if lookup(replace(record, message_id=message_id_for(data, token, rcpt)))
            )
        except Exception:
            log.warning("could not look in the Sent folder", exc_info=True)
            return
        if not found:
            return
        with self._lock:
            current = self._records.get(record.id)
            if current is None or current.state is not HeldState.UNCERTAIN:
                return  # the user answered meanwhile
            done = self._write(run_went_out(current, found))
            log.info("held %s: %d copies found in the Sent folder", done.id, len(found))
            self._wake.notify_all()
        self._answer_waiters(done)
        if done.state.final:
            self._incidents.outcome(done)


def _settle(future: Future[_T], value: _T) -> None:
    """Resolve ``future`` unless its waiter gave up (cancelled it) already."""
    if future.done():
        return
    with contextlib.suppress(InvalidStateError):  # cancelled in between
        future.set_result(value)
