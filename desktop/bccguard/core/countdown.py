"""Undo send: a passing message waits a few seconds before it goes, for an Undo.

A countdown is a held record in ``queued`` whose first attempt is due at
``countdown_until``: the hold engine's scheduler sends it then like any release
(and after a crash, at the stored time, or at once when that has passed). Until
the attempt starts, the user can undo it (it becomes a held message that waits
for an answer: convert, send as is, discard, or later) or send it now.
"""

from __future__ import annotations

from dataclasses import replace

from bccguard.core.held import HeldError, HeldMessage, HeldState, Resolution

UNDONE = "undone_at"  # ``extra`` key: when the user undid the countdown


def counting_down(held: HeldMessage) -> bool:
    """True while ``held`` waits for its countdown's end (or an Undo)."""
    return (
        held.state is HeldState.QUEUED
        and held.countdown_until > 0
        and held.attempts == 0
    )


def was_undone(held: HeldMessage) -> bool:
    """True for a message the user stopped in its countdown."""
    return UNDONE in held.extra


def from_countdown(held: HeldMessage) -> bool:
    """True for a message that counted down (still, undone, or gone since)."""
    return held.countdown_until > 0 or was_undone(held)


def people(held: HeldMessage) -> int:
    """How many people the message goes to (each address once)."""
    return len({r.lower() for r in held.recipients})


def with_countdown(held: HeldMessage, at: float, delay: float) -> HeldMessage:
    """A new passing record that goes ``delay`` seconds after ``at``."""
    until = at + delay
    return replace(
        held.queued(Resolution.AS_IS, at, until),
        countdown_until=until,
        outcome="",
    )


def undone(held: HeldMessage, at: float) -> HeldMessage:
    """The user's Undo: the message waits for an answer, nothing is sent.

    Raises:
        HeldError: it is no longer counting down (it went, or is going).
    """
    if not counting_down(held):
        raise HeldError(_too_late(held))
    return replace(
        held,
        state=HeldState.WAITING,
        resolution=None,
        decided_at=None,
        next_attempt=0.0,
        countdown_until=0.0,
        outcome="you stopped it (Undo): not sent",
        extra={**held.extra, UNDONE: f"{at:.3f}"},
    )


def sent_now(held: HeldMessage, at: float) -> HeldMessage:
    """The user's Send now: the countdown ends at once.

    Raises:
        HeldError: it is no longer counting down.
    """
    if not counting_down(held):
        raise HeldError(_too_late(held))
    return replace(held, next_attempt=at, countdown_until=at)


def _too_late(held: HeldMessage) -> str:
    if held.state in (HeldState.SENDING, HeldState.QUEUED):
        return f"held message {held.id} is being sent already: too late to stop it"
    return f"held message {held.id} is {held.state.value}: it is not counting down"
