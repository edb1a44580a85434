"""A passing message in flight: end to end while the server answers in time.

The client gets the server's own reply when it comes within the client's budget
and tells the whole truth. Otherwise BccGuard takes responsibility as an MTA does
(RFC 5321 §6.1), only once the message is stored durably, and answers 250:
- the server has not answered within ``take_over_after`` (it may take 10 minutes
  to confirm the final dot, the client gives up after 100 s);
- some recipients were accepted and others refused for now: those are retried;
- some were refused for good while others got it: the user is told who;
- the connection died after the final dot: the user decides whether to send again.
Before each final dot the journal records it, so that a crash in between shows
the message as "may have been sent" instead of relaying the client's retry again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

from bccguard.adapters.held_store import HeldStore, HeldStoreError
from bccguard.adapters.relay_reply import reply_for
from bccguard.adapters.smtp_proxy import Submission
from bccguard.adapters.smtp_relay import BatchOutcome, RelayResult
from bccguard.core.held import Delivery, HeldMessage, Resolution
from bccguard.core.verdict import Verdict
from bccguard.service.engine import HoldEngine
from bccguard.service.journal import JournalEntry, PassJournal
from bccguard.service.relays import Relays

log = logging.getLogger(__name__)


class PassFlight:
    """One passing message on its way; ``run`` in a worker, ``take_over`` if slow."""

    def __init__(
        self,
        sub: Submission,
        verdict: Verdict,
        key: str,
        *,
        engine: HoldEngine,
        relays: Relays,
        journal: PassJournal,
        clock: Callable[[], float],
    ) -> None:
        self.sub = sub
        self.verdict = verdict
        self.key = key
        self._engine = engine
        self._relays = relays
        self._journal = journal
        self._clock = clock
        self._lock = threading.Lock()
        self._outcomes: list[BatchOutcome] = []
        self._batch: tuple[str, ...] = ()
        self._dot_sent = False
        self._journaled = False
        self._held_id = ""  # set once taken on
        self.done = threading.Event()
        # The reply for a client that sends the same message while it is on its
        # way: set when it ends here or when BccGuard takes it on.
        self.answered: Future[str] = Future()
        self.reply = ""
        self.result: RelayResult | None = None  # when it ended here (not taken on)

    def run(self) -> str:
        """Relay the message; the reply for the client (unless taken on meanwhile)."""
        try:
            result = self._relays.send(
                self.sub.mail_from,
                self.sub.recipients,
                self.sub.data,
                before_final_dot=self._before_dot,
                after_batch=self._after_batch,
            )
        except Exception:
            log.exception("relay of a passing message failed")
            result = RelayResult(
                (BatchOutcome(self.sub.recipients, 451, "4.3.0 BccGuard failed"),)
            )
        with self._lock:
            if self._held_id:
                self._engine.attempt_done(self._held_id, result, release=True)
                self.reply = self._engine.reply_now(self._held_id)
            else:
                self.result = result
                self.reply = self._settle(result)
                if self._journaled:
                    self._journal.end(self.key)
            self.done.set()
            if not self.answered.done():
                self.answered.set_result(self.reply)
            return self.reply

    def _before_dot(self, batch: tuple[str, ...]) -> None:
        with self._lock:
            self._batch, self._dot_sent = batch, True
            if self._held_id:
                self._engine.dot_going(self._held_id, batch)
            elif not self._journaled:
                message = self.verdict.message
                self._journal.begin(
                    JournalEntry(
                        key=self.key,
                        at=self._clock(),
                        mail_from=self.sub.mail_from,
                        recipients=self.sub.recipients,
                        message_id=message.message_id,
                        subject=message.subject,
                    )
                )
                self._journaled = True

    def _after_batch(self, outcome: BatchOutcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)
            self._batch, self._dot_sent = (), False
            if self._held_id:
                self._engine.batch_done(self._held_id, outcome)

    def take_over(self) -> str | None:
        """The server is slow: store the message and answer 250 now.

        Returns:
            The reply for the client, or None when it could not be stored (then
            the client must wait for the server after all).
        """
        with self._lock:
            if self.done.is_set():
                return self.reply
            record = self._record()
            for outcome in self._outcomes:
                record = record.batch_done(outcome.outcomes())
            record = record.attempt_started(self._batch)
            if self._dot_sent:
                record = record.dot_going()
            try:
                record = self._engine.take_on(record, self.sub.data, running=True)
            except HeldStoreError:
                log.exception("could not take on a slow message")
                return None
            self._held_id = record.id
            if self._journaled:
                self._journal.end(self.key)
            log.info("took on %s: the server is slow to answer", record.message_id)
            reply = (
                f"250 2.0.0 BccGuard has it ({record.id}): the server is slow to "
                "confirm, BccGuard finishes the delivery and tells you"
            )
            self.answered.set_result(reply)
            return reply

    def _record(self) -> HeldMessage:
        record = HeldMessage.from_verdict(
            held_id=HeldStore.new_id(),
            received_at=self._clock(),
            mail_from=self.sub.mail_from,
            recipients=self.sub.recipients,
            data=self.sub.data,
            verdict=self.verdict,
        )
        return record.queued(Resolution.AS_IS, self._clock(), self._clock())

    def _settle(self, result: RelayResult) -> str:
        """The server answered: end to end, unless someone got it and someone not."""
        kinds = {o.delivery for o in result.outcomes()}
        if kinds == {Delivery.ACCEPTED}:
            return reply_for(result)
        # A refused login is BccGuard's to fix (the user signs in again, e.g. an
        # OAuth2 grant that expired), not the mail program's: keep it waiting.
        sign_in = Delivery.NEEDS_SIGN_IN in kinds
        if not ({Delivery.ACCEPTED, Delivery.UNCERTAIN} & kinds) and not sign_in:
            return reply_for(result)  # nobody got it: the client may retry
        record = self._record()
        for outcome in result.batches:
            record = record.batch_done(outcome.outcomes())
        settings_plan = self._engine.retry_plan()
        record = record.attempt_started(()).attempt_finished(
            self._clock(), settings_plan, sign_in=sign_in
        )
        try:
            record = self._engine.take_on(record, self.sub.data, running=False)
        except HeldStoreError:
            log.exception("could not keep the partly delivered message")
            return reply_for(result)
        return self._engine.reply_now(record.id)
