"""The daily sending budget: how many recipients an account may still send to.

Providers count the recipients an account sent to over a rolling 24 hours and
stop the account for a day when it goes over; then the user's ordinary mail is
stopped too. Every message that leaves through BccGuard counts (ordinary mail as
much as the copies of "send one by one"); the copies take only what is left,
minus a reserve for the user's own mail, and wait for the next day when the
budget is spent.

The providers' published limits, the defaults here:

- Gmail (a personal account): 500 recipients a day, counted over a rolling 24
  hours ("Gmail sending limits", https://support.google.com/mail/answer/22839).
- Google Workspace: 2,000 messages a day, a rolling 24 hours ("Gmail sending
  limits in Google Workspace", https://support.google.com/a/answer/166852).
- Microsoft 365 (Exchange Online): 10,000 recipients a day and 30 messages a
  minute ("Exchange Online limits", Sending limits,
  https://learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits-1).
- Any other provider: 300, below what the common ones allow, until the user sets
  the account's own ``daily_limit``.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

DAY = 24 * 3600.0
GMAIL_PERSONAL_LIMIT = 500
WORKSPACE_LIMIT = 2_000
MICROSOFT365_LIMIT = 10_000
OTHER_LIMIT = 300
_GMAIL_DOMAINS = ("gmail.com", "googlemail.com")
# Of the daily limit, this share is left for the user's own mail.
RESERVE_SHARE = 0.1
# A refusal that says the account's own limit is reached: stop, do not retry.
# Gmail: "550 5.4.5 Daily user sending quota exceeded"; Exchange Online:
# "554 5.2.0 ... SubmissionQuotaExceededException", "5.7.708"/"4.7.708" (the
# tenant is over its limit).
_QUOTA = re.compile(
    r"\b[45]\.4\.5\b|\b[45]\.7\.708\b|quota|sending limit|limit exceeded|"
    r"too many messages|daily (user )?sending",
    re.IGNORECASE,
)


def default_daily_limit(provider: str, email: str) -> int:
    """The provider's published daily limit for ``email``'s account."""
    if provider == "gmail":
        domain = email.rpartition("@")[2].lower()
        return GMAIL_PERSONAL_LIMIT if domain in _GMAIL_DOMAINS else WORKSPACE_LIMIT
    if provider == "microsoft365":
        return MICROSOFT365_LIMIT
    return OTHER_LIMIT


def is_quota_refusal(code: int, text: str) -> bool:
    """True when a refusal says the account's sending limit is reached."""
    return code >= 400 and bool(_QUOTA.search(text))


@dataclass(frozen=True, slots=True)
class Spent:
    """Recipients sent to at one moment."""

    at: float
    count: int


def _counts(spent: Spent, now: float) -> bool:
    """True while ``spent`` is within the 24 hours before ``now`` (written as one
    sum, so that at ``spent.at + DAY`` it has ended, whatever the rounding)."""
    return spent.at <= now < spent.at + DAY


@dataclass(frozen=True, slots=True)
class SendBudget:
    """One account's recipients over the last 24 hours, against its limit."""

    limit: int
    spent: tuple[Spent, ...] = ()

    def used(self, now: float) -> int:
        """Recipients counted in the 24 hours before ``now``."""
        return sum(s.count for s in self.spent if _counts(s, now))

    @property
    def share(self) -> int:
        """What "send one by one" may use: the limit minus the reserve."""
        reserve = math.ceil(self.limit * RESERVE_SHARE)
        return max(1, self.limit - reserve)

    def room(self, now: float) -> int:
        """How many copies may go now."""
        return max(0, self.share - self.used(now))

    def next_room(self, now: float, count: int = 1) -> float:
        """The first moment from ``now`` on when ``count`` copies may go."""
        if self.used(now) + count <= self.share:
            return now
        running = self.used(now)
        for spent in sorted(self.spent, key=lambda s: s.at):
            if not _counts(spent, now):
                continue
            running -= spent.count
            if running + count <= self.share:
                return spent.at + DAY
        return now + DAY

    def with_spent(self, at: float, count: int) -> SendBudget:
        """This budget with ``count`` more recipients sent at ``at``."""
        return SendBudget(self.limit, (*self.recent(at), Spent(at, count)))

    def recent(self, now: float) -> tuple[Spent, ...]:
        """The entries that still count at ``now``."""
        return tuple(s for s in self.spent if s.at + DAY > now)


def copy_times(
    budget: SendBudget, now: float, copies: int, pause: float
) -> list[float]:
    """When each of ``copies`` copies, sent one by one ``pause`` seconds apart
    within ``budget``, would go (ordinary mail meanwhile not foreseen)."""
    window = deque(sorted(budget.recent(now), key=lambda s: s.at))
    used = sum(s.count for s in window)
    times: list[float] = []
    at = now
    for index in range(copies):
        if index:
            at += pause
        while window and window[0].at + DAY <= at:
            used -= window.popleft().count
        while window and used + 1 > budget.share:
            oldest = window.popleft()
            used -= oldest.count
            at = max(at, oldest.at + DAY)
        window.append(Spent(at, 1))
        used += 1
        times.append(at)
    return times


def finish_time(budget: SendBudget, now: float, copies: int, pause: float) -> float:
    """When the last of ``copies`` copies would go (``now`` for none)."""
    times = copy_times(budget, now, copies, pause)
    return times[-1] if times else now


def spent_from(entries: Iterable[tuple[float, int]]) -> tuple[Spent, ...]:
    """Budget entries from stored pairs (at, count)."""
    return tuple(Spent(float(at), int(count)) for at, count in entries)
