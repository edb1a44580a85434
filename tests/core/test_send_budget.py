"""The daily sending budget: providers' defaults, the rolling day, the schedule."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bccguard.core.send_budget import (
    DAY,
    SendBudget,
    Spent,
    copy_times,
    default_daily_limit,
    finish_time,
    is_quota_refusal,
)


def test_defaults_follow_the_providers_published_limits() -> None:
    assert default_daily_limit("gmail", "me@gmail.com") == 500
    assert default_daily_limit("gmail", "me@googlemail.com") == 500
    assert default_daily_limit("gmail", "me@acme-corp.example") == 2_000
    assert default_daily_limit("microsoft365", "me@acme-corp.example") == 10_000
    assert default_daily_limit("other", "me@libero.it") == 300


def test_quota_refusals_are_told_from_rate_limits() -> None:
    assert is_quota_refusal(550, "5.4.5 Daily user sending quota exceeded.")
    assert is_quota_refusal(
        554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"
    )
    assert is_quota_refusal(451, "4.7.708 Access denied, tenant has exceeded")
    assert not is_quota_refusal(421, "4.7.0 Try again later, closing connection.")
    assert not is_quota_refusal(550, "5.1.1 The email account does not exist")
    assert not is_quota_refusal(250, "2.0.0 OK quota fine")


def test_the_day_rolls_and_a_reserve_is_left_for_ordinary_mail() -> None:
    budget = SendBudget(100, (Spent(0.0, 80),))
    assert budget.share == 90
    assert budget.used(10.0) == 80
    assert budget.room(10.0) == 10
    assert budget.used(DAY) == 0  # 24 hours later it no longer counts
    spent = budget.with_spent(20.0, 10)
    assert spent.room(30.0) == 0
    assert spent.next_room(30.0) == DAY  # when the 80 of t=0 expire


def test_twenty_copies_with_nine_a_day_take_three_days() -> None:
    budget = SendBudget(10)  # a share of 9
    times = copy_times(budget, 0.0, 20, 1.0)
    assert times[:9] == [float(i) for i in range(9)]
    assert times[9] == DAY
    assert finish_time(budget, 0.0, 20, 1.0) == times[-1] == 2 * DAY + 1
    assert finish_time(budget, 5.0, 0, 1.0) == 5.0


spent_lists = st.lists(
    st.tuples(st.floats(-DAY, 0.0), st.integers(1, 40)), max_size=20
).map(lambda items: tuple(Spent(at, n) for at, n in items))


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(1, 60),
    spent=spent_lists,
    copies=st.integers(0, 150),
    pause=st.floats(0.0, 4000.0),
)
def test_no_day_ever_holds_more_copies_than_the_share(
    limit: int, spent: tuple[Spent, ...], copies: int, pause: float
) -> None:
    budget = SendBudget(limit, spent)
    times = copy_times(budget, 0.0, copies, pause)
    assert len(times) == copies
    assert times == sorted(times)
    assert all(b - a >= pause - 1e-6 for a, b in itertools.pairwise(times))
    every = list(budget.recent(0.0)) + [Spent(t, 1) for t in times]
    for t in times:  # the budget as it stands when each copy goes
        window = sum(s.count for s in every if s.at <= t < s.at + DAY)
        ordinary = sum(s.count for s in budget.recent(0.0) if s.at <= t < s.at + DAY)
        copies_then = window - ordinary
        assert copies_then <= max(budget.share - ordinary, 0) or copies_then == 1
        assert window <= max(budget.share, ordinary + 1)


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(1, 60), spent=spent_lists, now=st.floats(0.0, DAY))
def test_next_room_is_the_first_moment_with_room(
    limit: int, spent: tuple[Spent, ...], now: float
) -> None:
    budget = SendBudget(limit, spent)
    at = budget.next_room(now)
    assert at >= now
    assert budget.used(at) + 1 <= budget.share or at == now + DAY
    if at > now:
        assert budget.used(now) + 1 > budget.share
