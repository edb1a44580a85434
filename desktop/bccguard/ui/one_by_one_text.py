"""What "send one by one" says to people: the offer, a run's progress, a pause."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

from bccguard.core.held import HeldMessage, HeldState
from bccguard.core.one_by_one import (
    is_run,
    paused_because,
    progress,
    waits_for_budget,
)
from bccguard.ui.i18n import ntr, tr


def when_text(at: float, now: float) -> str:
    """``10:42`` today, ``Tue 10:42`` within a week, else the date."""
    moment, today = time.localtime(at), time.localtime(now)
    if moment[:3] == today[:3]:
        return time.strftime("%H:%M", moment)
    return time.strftime("%Y-%m-%d %H:%M", moment)


def duration_text(seconds: float) -> str:
    """A length of time in round words: "about 17 minutes", "about 2 days"."""
    if seconds < 90:
        return ntr("about {n} second", "about {n} seconds", max(1, round(seconds)))
    if seconds < 90 * 60:
        return ntr("about {n} minute", "about {n} minutes", round(seconds / 60))
    if seconds < 36 * 3600:
        return ntr("about {n} hour", "about {n} hours", round(seconds / 3600))
    return ntr("about {n} day", "about {n} days", math.ceil(seconds / 86_400))


def offer_text(copies: int, limit: int, finish: float, now: float) -> str:
    """The offer: how many copies, the daily limit, and when the last one goes."""
    first = ntr(
        "{n} copy, each addressed only to its recipient: nobody sees anybody "
        "else's address.",
        "{n} copies, each addressed only to its recipient: nobody sees anybody "
        "else's address.",
        copies,
    )
    pace = tr(
        "Within your provider's limit of {limit} recipients a day (your other "
        "mail counts too), the last one goes at {time}: {duration}.",
        limit=limit,
        time=when_text(finish, now),
        duration=duration_text(max(finish - now, 1.0)),
    )
    return f"{first} {pace}"


def run_summary(held: HeldMessage, now: float) -> str | None:
    """A run's progress in one line, or None for a message that is no run."""
    if not is_run(held):
        return None
    sent, total = progress(held)
    paused = paused_because(held)
    if paused:
        return tr(
            "Paused at {sent} of {total}: the server said {words}",
            sent=sent,
            total=total,
            words=paused,
        )
    if held.state not in (HeldState.QUEUED, HeldState.SENDING):
        return None
    line = tr("Sending one by one: {sent} of {total}", sent=sent, total=total)
    if waits_for_budget(held):
        line += " — " + tr(
            "daily limit reached, next copy at {time}",
            time=when_text(held.next_attempt, now),
        )
    return line


def run_explanation(held: HeldMessage) -> str | None:
    """What is going on with a run, in plain words (None: no run, or settled)."""
    if not is_run(held):
        return None
    if paused_because(held):
        return tr(
            "The server stopped taking copies for now. Send the rest one by one "
            "when your provider allows it again (usually the next day); nobody "
            "gets a copy twice."
        )
    if held.state in (HeldState.QUEUED, HeldState.SENDING):
        return tr(
            "Each recipient gets a copy addressed only to them, one after the "
            "other, within your provider's daily limit. You can stop it; the "
            "copies sent stay sent."
        )
    return None


def progress_lines(records: Iterable[HeldMessage], now: float) -> list[str]:
    """The tray's lines for every run on its way."""
    lines = []
    for held in records:
        if held.state in (HeldState.QUEUED, HeldState.SENDING):
            line = run_summary(held, now)
            if line:
                lines.append(line)
    return lines
