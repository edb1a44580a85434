"""The proxy's entry: check each submission and answer it (the DATA reply).

A message that passes goes end to end (:mod:`pass_through`); one that is held goes
to the hold engine, and the client waits for the user's decision within its
budget. A client's retry of a message BccGuard already has, in flight or done,
gets that message's outcome, never a second relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from bccguard.adapters.held_store import HeldStoreError
from bccguard.adapters.smtp_proxy import Submission
from bccguard.core.decision_proof import (
    AS_IS,
    DELAYED,
    HEADER,
    INDIVIDUALLY,
    proof_key,
    proven_decisions,
)
from bccguard.core.header_block import without_fields
from bccguard.core.held import HeldMessage, HeldState, Resolution, dedup_key
from bccguard.core.message import read_message
from bccguard.core.one_by_one import CHOSEN_IN
from bccguard.core.policy import Action
from bccguard.core.settings import Settings
from bccguard.core.verdict import Verdict, check
from bccguard.events import EventSink, MessageRelayed
from bccguard.service.countdown import Countdowns, accepted_reply
from bccguard.service.engine import HoldEngine
from bccguard.service.errors import GuardError
from bccguard.service.incident_record import IncidentRecorder
from bccguard.service.journal import PassJournal
from bccguard.service.pass_through import PassFlight
from bccguard.service.relays import Relays
from bccguard.service.replies import blocked_reply, reply_for_record

log = logging.getLogger(__name__)

# Passing messages remembered after delivery, for a client that sends one again
# (a retry comes within minutes; the same message a day later is sent again).
_RECENT = 10_000
_RECENT_SECONDS = 3600.0


class SubmissionDesk:
    """Answers the proxy's submissions; one per guard."""

    def __init__(
        self,
        engine: HoldEngine,
        relays: Relays,
        journal: PassJournal,
        events: EventSink,
        incidents: IncidentRecorder,
        *,
        settings: Callable[[], Settings],
        secret: Callable[[], str],
        paused: Callable[[], bool],
        clock: Callable[[], float],
        countdowns: Countdowns | None = None,
    ) -> None:
        self._engine = engine
        self._relays = relays
        self._journal = journal
        self._events = events
        self._incidents = incidents
        self._settings = settings
        self._secret = secret
        self._paused = paused
        self._clock = clock
        self.countdowns = countdowns or Countdowns(engine, events, clock)
        self._flights: dict[str, PassFlight] = {}
        self._recent: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def submit(self, sub: Submission) -> str:
        """Check one submission and answer it."""
        message = read_message(sub.data, envelope=sub.recipients)
        proof = message.header.first_text(HEADER)
        if message.header.all(HEADER):  # never leaves BccGuard, proven or not
            sub = replace(sub, data=without_fields(sub.data, message.header, HEADER))
            message = read_message(sub.data, envelope=sub.recipients)
        key = dedup_key(message.message_id, sub.recipients, sub.data)
        known = await self._known(key)
        if known is not None:
            return known
        policy = self._settings().policy_for(sub.mail_from)
        verdict = check(message, policy)
        decided = self._proven(proof, verdict) if proof else frozenset()
        if INDIVIDUALLY in decided:  # chosen in Thunderbird, sent here copy by copy
            return await self._one_by_one(sub, verdict)
        if self._paused() or not verdict.held:
            return await self._pass(sub, verdict, key, delayed=DELAYED in decided)
        if AS_IS in decided:
            self._incidents.sent_as_decided_elsewhere(
                verdict, sub.mail_from, "Thunderbird"
            )
            return await self._pass(sub, verdict, key, delayed=DELAYED in decided)
        return await self._hold(sub, verdict, verdict.action)  # rules may convert

    # -- a client's retry -----------------------------------------------------------

    async def _known(self, key: str) -> str | None:
        """The answer for a submission BccGuard has seen, or None."""
        flight = self._flights.get(key)
        if flight is not None:  # the same message is on its way: wait for it
            try:  # on the loop: a thread per waiting retry could starve others
                return await asyncio.wait_for(
                    asyncio.shield(asyncio.wrap_future(flight.answered)),
                    self._budget(),
                )
            except TimeoutError:
                return "451 4.3.0 BccGuard is still sending this message; try later"
        recent = self._recent.get(key)
        if recent is not None and self._clock() - recent[0] < _RECENT_SECONDS:
            return recent[1]
        held = self._engine.find_key(key)
        if held is None:
            return None
        return await self._answer_retry(held)

    async def _answer_retry(self, held: HeldMessage) -> str:
        """A mail program sent a message again that BccGuard has: its outcome.

        Waiting for the user: the retry waits for the answer as the first try did.
        Refused before: a new try, and its outcome if it comes in time. Otherwise
        BccGuard has it (sending, retrying, done): said at once.
        """
        log.info("%s: the client sent it again (%s)", held.id, held.state.value)
        wait = 0.0
        if held.state.needs_user:
            wait = self._budget()
        elif held.state is HeldState.FAILED and held.resolution is not None:
            with contextlib.suppress(GuardError):  # a new try at what was refused
                self._engine.decide(held.id, held.resolution)
                wait = self._settings().delivery.take_over_after
        if wait:
            reply = await self._engine.reply_when_done(held.id, wait)
            if reply is not None:
                return reply
        return self._engine.retry_reply(held.id)

    # -- passing ------------------------------------------------------------------

    async def _pass(
        self, sub: Submission, verdict: Verdict, key: str, *, delayed: bool
    ) -> str:
        """Relay a passing message, after its account's Undo delay unless the
        mail program waited that already (Thunderbird's proven delay)."""
        delay = self._settings().undo_delay_for(sub.mail_from)
        if delay and not delayed:
            return await self._count_down(sub, verdict, delay)
        flight = PassFlight(
            sub,
            verdict,
            key,
            engine=self._engine,
            relays=self._relays,
            journal=self._journal,
            clock=self._clock,
        )
        self._flights[key] = flight
        loop = asyncio.get_running_loop()
        try:
            pool = self._relays.pool(self._relays.account_key(sub.mail_from))
            running = asyncio.wrap_future(pool.submit(flight.run))
            try:
                reply = await asyncio.wait_for(
                    asyncio.shield(running), self._settings().delivery.take_over_after
                )
            except TimeoutError:
                taken = await loop.run_in_executor(None, flight.take_over)
                reply = taken if taken is not None else await running
        except GuardError as error:
            reply = f"421 4.3.2 {error}"
        finally:
            self._flights.pop(key, None)
        if flight.result is not None and flight.result.ok:
            self._remember(key, reply)  # kept by the engine otherwise
        if flight.result is not None:  # else the engine reports it when it ends
            self._events.emit(
                MessageRelayed(
                    verdict.message.message_id,
                    len(sub.recipients),
                    flight.result.ok,
                    reply,
                    upstream_problem=flight.result.unreachable,
                )
            )
        return reply

    def _remember(self, key: str, reply: str) -> None:
        """A delivered passing message, for a client that sends it again."""
        self._recent[key] = (self._clock(), reply)
        self._recent.move_to_end(key)
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)

    async def _count_down(self, sub: Submission, verdict: Verdict, delay: int) -> str:
        """Keep the message durably for its Undo delay, and say 250 at once."""
        loop = asyncio.get_running_loop()
        try:
            held, new = await loop.run_in_executor(
                None, self.countdowns.start, sub, verdict, float(delay)
            )
        except HeldStoreError:
            log.exception("could not store a message for its Undo delay")
            return "451 4.3.0 BccGuard could not store the message; try again later"
        if not new:  # the same message, sent again meanwhile
            return self._engine.retry_reply(held.id)
        return accepted_reply(held, self._clock())

    def _proven(self, proof: str, verdict: Verdict) -> frozenset[str]:
        """What Thunderbird proves it decided for exactly this message (none when
        the proof does not verify): "send as is", the Undo delay waited."""
        visible = [a.addr for a in verdict.message.visible]
        key = proof_key(self._secret())
        decided = proven_decisions(proof, key, visible, self._clock())
        if not decided:
            log.warning("ignored a decision proof that does not match its message")
        return decided

    async def _one_by_one(self, sub: Submission, verdict: Verdict) -> str:
        """Keep the message durably and send it one copy per recipient."""
        loop = asyncio.get_running_loop()
        try:
            held = await loop.run_in_executor(
                None,
                lambda: self._engine.hold(
                    mail_from=sub.mail_from,
                    recipients=sub.recipients,
                    data=sub.data,
                    verdict=verdict,
                    extra={CHOSEN_IN: "thunderbird"},
                ),
            )
        except HeldStoreError:
            log.exception("could not store a message to send one by one")
            return "451 4.3.0 BccGuard could not store the message; try again later"
        if held.state is HeldState.WAITING:
            try:
                self._engine.decide(held.id, Resolution.INDIVIDUALLY)
            except GuardError as error:
                log.warning("one by one of %s: %s", held.id, error)
                return self._engine.reply_now(held.id)
        else:  # the mail program sent it again
            return self._engine.retry_reply(held.id)
        copies = len(set(sub.recipients))
        return (
            f"250 2.0.0 BccGuard sends it one by one ({held.id}): {copies} copies, "
            "each addressed only to its recipient"
        )

    # -- holding ------------------------------------------------------------------

    async def _hold(self, sub: Submission, verdict: Verdict, action: Action) -> str:
        loop = asyncio.get_running_loop()
        try:
            held = await loop.run_in_executor(
                None,
                lambda: self._engine.hold(
                    mail_from=sub.mail_from,
                    recipients=sub.recipients,
                    data=sub.data,
                    verdict=verdict,
                ),
            )
        except HeldStoreError:
            log.exception("could not store a held message")
            return "451 4.3.0 BccGuard could not store the message; try again later"
        automatic = {Action.CONVERT: Resolution.BCC, Action.BLOCK: Resolution.DISCARD}
        resolution = automatic.get(action)
        if verdict.message.not_a_message is not None and resolution is Resolution.BCC:
            resolution = None  # converting cannot make it a message: the user decides
        if held.state is HeldState.WAITING and resolution is not None:
            try:
                done = await asyncio.wrap_future(
                    self._engine.decide(held.id, resolution)
                )
            except GuardError as error:
                log.warning("automatic %s of %s: %s", resolution.value, held.id, error)
            else:
                if resolution is Resolution.DISCARD:
                    return blocked_reply(done)
        reply = await self._engine.reply_when_done(held.id, self._budget())
        if reply is not None:
            return reply
        current = self._engine.get(held.id)
        return reply_for_record(current or held, None)

    def _budget(self) -> float:
        return self._settings().proxy.decision_timeout
