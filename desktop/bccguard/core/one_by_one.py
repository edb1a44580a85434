"""A "send one by one" run as held-record transitions: one copy per recipient.

A run is a held message whose resolution is ``individually``. It stays ``queued``
between copies, with ``next_attempt`` at the next copy's time (the pause between
copies, or the next day when the daily budget is spent); each attempt sends one
copy to the first pending recipient. The usual per-recipient progress says who
has theirs: ``delivered``, ``refused`` (for good), ``uncertain`` (the final dot
went and no reply came: that copy is not sent again by itself, the others go
on). A recipient is never sent a copy twice by the run: a copy goes only to a
pending recipient, and the record says so durably before each final dot.

A quota refusal stops the run at once ("paused", with the server's words); the
user resumes it when the provider allows. A refusal for now (a rate limit) slows
it: the same copy is tried again after a growing pause, and after the retry
plan's last try the run pauses too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from bccguard.core.held import (
    Delivery,
    HeldMessage,
    HeldState,
    RecipientOutcome,
    Refusal,
    Resolution,
    RetryPlan,
)
from bccguard.core.individual_copies import Greeting
from bccguard.core.send_budget import is_quota_refusal

# Keys of the run's options and state in ``HeldMessage.extra``.
GREETING = "one_by_one.greeting"  # "1": greet by first name
FALLBACK = "one_by_one.fallback"  # the word when no first name is known
PAUSED = "one_by_one.paused"  # why the run paused ("" or absent: it did not)
THROTTLED = "one_by_one.throttled"  # refusals for now in a row
BUDGET = "one_by_one.budget"  # "1": the next copy waits for the daily budget
CHOSEN_IN = "one_by_one.chosen_in"  # where the user chose it ("thunderbird")


@dataclass(frozen=True, slots=True)
class Offer:
    """Sending a held message one by one: how many copies, the account's daily
    limit, and when the last copy would go."""

    copies: int
    limit: int
    finish: float
    placeholder: bool = False  # the text says {first_name}: greet by name


def chosen_elsewhere(record: HeldMessage) -> bool:
    """True for a message the user chose to send one by one in another program
    (Thunderbird): nothing to ask about it."""
    return bool(record.extra.get(CHOSEN_IN))


def is_run(record: HeldMessage) -> bool:
    """True for a held message that is sent one by one."""
    return record.resolution is Resolution.INDIVIDUALLY


def with_options(record: HeldMessage, greeting: Greeting | None) -> HeldMessage:
    """``record`` with the run's greeting option (before it is decided)."""
    extra = {k: v for k, v in record.extra.items() if k not in (GREETING, FALLBACK)}
    if greeting is not None:
        extra[GREETING] = "1"
        extra[FALLBACK] = greeting.fallback
    for key in (PAUSED, THROTTLED, BUDGET):
        extra.pop(key, None)
    return replace(record, extra=extra)


def greeting_of(record: HeldMessage) -> Greeting | None:
    """The run's greeting option."""
    if record.extra.get(GREETING) != "1":
        return None
    return Greeting(record.extra.get(FALLBACK, ""))


def run_token(record: HeldMessage) -> str:
    """What makes the run's Message-IDs its own, the same after a restart."""
    return f"{record.id}:{record.key[:16]}"


def progress(record: HeldMessage) -> tuple[int, int]:
    """(copies sent, copies in all)."""
    return len(set(record.delivered)), len(set(record.recipients))


def paused_because(record: HeldMessage) -> str:
    """The server's words that paused the run ("" when it is not paused)."""
    if record.state not in (HeldState.PARTLY_SENT, HeldState.FAILED):
        return ""
    return record.extra.get(PAUSED, "")


def waits_for_budget(record: HeldMessage) -> bool:
    """True while the run's next copy waits for the daily budget."""
    return record.state is HeldState.QUEUED and record.extra.get(BUDGET) == "1"


def resumed(record: HeldMessage) -> HeldMessage:
    """``record`` with the pause forgotten (the user resumes the run)."""
    gone = (PAUSED, THROTTLED, BUDGET)
    extra = {k: v for k, v in record.extra.items() if k not in gone}
    return replace(record, extra=extra)


def waiting_for_budget(record: HeldMessage, until: float) -> HeldMessage:
    """The daily budget is spent: the next copy waits until ``until``."""
    sent, total = progress(record)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(until))
    return replace(
        record,
        extra={**record.extra, BUDGET: "1"},
        state=HeldState.QUEUED,
        next_attempt=until,
        in_flight=(),
        dot_sent=False,
        outcome=f"one by one: {sent} of {total} sent; the daily sending limit is "
        f"reached, the next copy goes at {when}",
    )


def copy_done(
    record: HeldMessage,
    outcome: RecipientOutcome,
    at: float,
    *,
    pause: float,
    retry: RetryPlan,
) -> HeldMessage:
    """Where the run stands after one copy's attempt."""
    record = replace(record, attempts=record.attempts + 1, in_flight=(), dot_sent=False)
    deferred = tuple(d for d in record.deferred if d.address != outcome.address)
    # A copy tried again: any pause before it is over (set again if it pauses).
    extra = {k: v for k, v in record.extra.items() if k not in (BUDGET, PAUSED)}
    words = f"{outcome.code} {outcome.text}".strip()
    if outcome.delivery in (Delivery.REFUSED, Delivery.DEFERRED) and is_quota_refusal(
        outcome.code, outcome.text
    ):
        extra[PAUSED] = words
        refusal = Refusal(outcome.address, outcome.code, outcome.text)
        return _paused(replace(record, deferred=(*deferred, refusal), extra=extra))
    match outcome.delivery:
        case Delivery.ACCEPTED:
            record = replace(
                record,
                delivered=(*record.delivered, outcome.address),
                deferred=deferred,
            )
            extra.pop(THROTTLED, None)
        case Delivery.UNCERTAIN:
            record = replace(
                record,
                uncertain=(*record.uncertain, outcome.address),
                deferred=deferred,
            )
        case Delivery.REFUSED:
            refusal = Refusal(outcome.address, outcome.code, outcome.text)
            record = replace(
                record, refused=(*record.refused, refusal), deferred=deferred
            )
        case Delivery.NEEDS_SIGN_IN:
            refusal = Refusal(outcome.address, outcome.code, outcome.text)
            return replace(
                record,
                deferred=(*deferred, refusal),
                state=HeldState.NEEDS_SIGN_IN,
                outcome=outcome.text or "login refused",
            )
        case Delivery.DEFERRED:
            throttled = int(extra.get(THROTTLED, "0")) + 1
            refusal = Refusal(outcome.address, outcome.code, outcome.text)
            record = replace(record, deferred=(*deferred, refusal))
            if throttled >= retry.max_attempts:
                extra[PAUSED] = words
                return _paused(replace(record, extra=extra))
            extra[THROTTLED] = str(throttled)
            sent, total = progress(record)
            return replace(
                record,
                extra=extra,
                state=HeldState.QUEUED,
                next_attempt=at + max(pause, retry.delay(throttled)),
                outcome=f"one by one: {sent} of {total} sent; the server asks to "
                f"slow down: {words}",
            )
    record = replace(record, extra=extra)
    return next_copy(record, at + pause)


def next_copy(record: HeldMessage, at: float) -> HeldMessage:
    """Queued for the next copy at ``at``, or settled when none is left."""
    if not record.pending:
        return settled(record)
    sent, total = progress(record)
    return replace(
        record,
        state=HeldState.QUEUED,
        next_attempt=at,
        outcome=f"one by one: {sent} of {total} sent",
    )


def settled(record: HeldMessage) -> HeldMessage:
    """The run's end: sent, partly sent, failed, or some copies uncertain."""
    sent, total = progress(record)
    if record.uncertain:
        return replace(
            record,
            state=HeldState.UNCERTAIN,
            outcome=f"one by one: {sent} of {total} sent; "
            f"{len(record.uncertain)} may have been sent: the server did not confirm",
        )
    state = (
        HeldState.SENT
        if sent >= total
        else HeldState.PARTLY_SENT
        if sent
        else HeldState.FAILED
    )
    text = f"one by one: sent to {sent} of {total}"
    if record.refused:
        first = record.refused[0]
        text += f"; {first.address}: {first.code} {first.text}"
    return replace(record, state=state, outcome=text, next_attempt=0.0)


def _paused(record: HeldMessage) -> HeldMessage:
    """Stopped by the server's words: the user resumes when it allows. A copy
    not confirmed is asked about first (a resume would send it again)."""
    sent, total = progress(record)
    state = HeldState.PARTLY_SENT if sent else HeldState.FAILED
    outcome = (
        f"one by one: paused at {sent} of {total}; the server said: "
        f"{record.extra.get(PAUSED, '')}"
    )
    if record.uncertain:
        state = HeldState.UNCERTAIN
        outcome += (
            f"; {len(record.uncertain)} may have been sent: the server did not confirm"
        )
    return replace(record, state=state, next_attempt=0.0, outcome=outcome)


def went_out(record: HeldMessage, found: tuple[str, ...]) -> HeldMessage:
    """The copies of ``found`` (uncertain) are in the Sent folder: they went out."""
    gone = set(found)
    record = replace(
        record,
        delivered=(*record.delivered, *(r for r in record.uncertain if r in gone)),
        uncertain=tuple(r for r in record.uncertain if r not in gone),
    )
    return settled(record) if not record.pending else next_copy(record, 0.0)


def recovered(record: HeldMessage) -> HeldMessage:
    """A run found ``sending`` at start-up: a copy whose final dot went is
    uncertain (never sent again by itself); the others go on."""
    if record.dot_sent:
        record = replace(record, uncertain=(*record.uncertain, *record.in_flight))
    record = replace(record, in_flight=(), dot_sent=False)
    return next_copy(record, 0.0)
