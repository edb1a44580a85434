"""The SMTP replies a mail client gets about a message BccGuard keeps.

Rendered here, at the edge, from the record's state: nothing downstream parses
them back. Once BccGuard has a message durably and the user's decision (or has
taken a pass-through on), it answers as an MTA does (RFC 5321 §6.1): 250, and it
finishes the delivery itself; the mail program keeps its copy only for "don't
send" and for a refusal of everyone by the server.
"""

from __future__ import annotations

import time

from bccguard.adapters.relay_reply import reply_for
from bccguard.adapters.smtp_proxy import one_line
from bccguard.adapters.smtp_relay import RelayResult
from bccguard.core.countdown import was_undone
from bccguard.core.held import HeldMessage, HeldState

DISCARD_REPLY = (
    "550 5.7.1 Not sent: you chose not to send it in BccGuard (your copy is still "
    "in your mail program)"
)


def held_reply(held: HeldMessage) -> str:
    """The client's answer while the user has not decided yet."""
    if was_undone(held):
        return (
            f"451 4.7.0 You stopped this message in BccGuard (Undo send). It waits "
            f"in BccGuard as {held.id}: decide there"
        )
    return (
        f"451 4.7.0 Held by BccGuard: {held.exposed_count} recipients would "
        f"see each other. It waits in BccGuard as {held.id}: decide there"
    )


def blocked_reply(held: HeldMessage) -> str:
    """The policy blocks such a message."""
    return (
        f"550 5.7.1 Not sent: BccGuard's policy blocks mail that shows "
        f"{held.exposed_count} recipients to each other; use Bcc"
    )


def _not(held: HeldMessage) -> str:
    """Who did not get it and why, briefly (the rest is in BccGuard)."""
    refusals = [*held.refused, *held.deferred]
    named = ", ".join(f"{r.address} ({r.code} {r.text})" for r in refusals[:3])
    more = len(held.undelivered) - min(3, len(refusals))
    tail = f" and {more} more" if more > 0 else ""
    if not named:
        return f"{len(held.undelivered)} not: see BccGuard ({held.id})"
    return one_line(f"not sent to {named}{tail}: see BccGuard ({held.id})")[:480]


def retry_reply(held: HeldMessage, last: RelayResult | None) -> str:
    """The answer to a mail program that sends a decided message again."""
    if held.state is HeldState.SENT:
        return (
            f"250 2.0.0 Already sent by BccGuard ({held.id}) to "
            f"{len(set(held.recipients))} recipients"
        )
    if held.state is HeldState.PARTLY_SENT:
        return (
            f"250 2.0.0 Already sent by BccGuard ({held.id}) to "
            f"{len(held.delivered)} of {len(set(held.recipients))}; " + _not(held)
        )
    return reply_for_record(held, last)


def reply_for_record(held: HeldMessage, last: RelayResult | None) -> str:
    """Where ``held`` stands, said to the mail program that sent it."""
    total = len(set(held.recipients))
    match held.state:
        case HeldState.WAITING:
            return held_reply(held)
        case HeldState.DISCARDED if not held.delivered:
            return DISCARD_REPLY
        case HeldState.DISCARDED:
            return (
                f"250 2.0.0 Sent to {len(held.delivered)} of {total}; the rest was "
                f"not sent (your choice in BccGuard, {held.id})"
            )
        case HeldState.SENT if last is not None and len(last.batches) == 1:
            if held.attempts <= 1 and last.ok:
                return reply_for(last)  # the server's own words
            return f"250 2.0.0 Sent by BccGuard to {total} recipients ({held.id})"
        case HeldState.SENT:
            return f"250 2.0.0 Sent by BccGuard to {total} recipients ({held.id})"
        case HeldState.PARTLY_SENT:
            return f"250 2.0.0 Sent to {len(held.delivered)} of {total}; " + _not(held)
        case HeldState.FAILED:
            worst = (held.refused or held.deferred or (None,))[0]
            if worst is None:
                return f"451 4.3.0 Not sent ({held.id}): {one_line(held.outcome)}"
            code = worst.code if worst.code >= 400 else 451
            return f"{code} {one_line(worst.text)}"
        case HeldState.QUEUED if held.attempts == 0:
            return f"250 2.0.0 BccGuard is sending it ({held.id})"
        case HeldState.QUEUED:
            at = time.strftime("%H:%M", time.localtime(held.next_attempt))
            why = held.deferred[0].text if held.deferred else held.outcome
            return (
                f"250 2.0.0 BccGuard will send it ({held.id}): the server said "
                f"{one_line(why)[:200]}; next try at {at}"
            )
        case HeldState.UNCERTAIN:
            return (
                f"250 2.0.0 BccGuard keeps it ({held.id}): the server did not confirm "
                "it; decide in BccGuard whether to send it again"
            )
        case HeldState.NEEDS_SIGN_IN:
            return (
                f"250 2.0.0 BccGuard keeps it ({held.id}) until you sign in to your "
                f"account again: {one_line(held.outcome)[:200]}"
            )
        case _:  # SENDING
            return f"250 2.0.0 BccGuard is sending it ({held.id})"
