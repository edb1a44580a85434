"""A one-by-one run's transitions: a copy accepted, refused, deferred, uncertain,
over quota; a crash in the middle of a copy."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bccguard.core.held import (
    Delivery,
    HeldMessage,
    HeldState,
    RecipientOutcome,
    Resolution,
    RetryPlan,
)
from bccguard.core.individual_copies import Greeting
from bccguard.core.one_by_one import (
    copy_done,
    greeting_of,
    paused_because,
    recovered,
    resumed,
    waiting_for_budget,
    with_options,
)

PLAN = RetryPlan((10.0, 20.0), max_attempts=3)


def run(recipients: tuple[str, ...] = ("a@x.test", "b@x.test", "c@x.test")) -> Any:
    record = HeldMessage(
        id="abc",
        received_at=0.0,
        mail_from="me@x.test",
        recipients=recipients,
        subject="s",
        message_id="<m@x.test>",
        key="k" * 32,
        size=10,
        visible_count=3,
        exposed_count=3,
        threshold=1,
        domains=(),
        exposed=recipients,
        reasons=(),
    )
    return with_options(record, Greeting("friend")).decided(
        Resolution.INDIVIDUALLY, 1.0
    )


def outcome(
    address: str, delivery: Delivery, code: int = 250, text: str = "OK"
) -> RecipientOutcome:
    return RecipientOutcome(address, delivery, code, text)


def test_options_travel_with_the_record() -> None:
    record = run()
    assert record.state is HeldState.QUEUED
    assert greeting_of(record) == Greeting("friend")
    assert greeting_of(with_options(record, None)) is None


def test_copies_go_one_after_the_other_with_the_pause_between() -> None:
    record = run()
    record = copy_done(
        record, outcome("a@x.test", Delivery.ACCEPTED), 100.0, pause=5, retry=PLAN
    )
    assert record.state is HeldState.QUEUED and record.next_attempt == 105.0
    assert record.pending == ("b@x.test", "c@x.test")
    assert record.outcome == "one by one: 1 of 3 sent"
    record = copy_done(
        record,
        outcome("b@x.test", Delivery.REFUSED, 550, "5.1.1 no such user"),
        106.0,
        pause=5,
        retry=PLAN,
    )
    record = copy_done(
        record, outcome("c@x.test", Delivery.ACCEPTED), 112.0, pause=5, retry=PLAN
    )
    assert record.state is HeldState.PARTLY_SENT
    assert record.outcome.startswith("one by one: sent to 2 of 3; b@x.test: 550")


def test_a_quota_refusal_pauses_at_once_and_keeps_the_recipient_pending() -> None:
    record = copy_done(
        run(),
        outcome(
            "a@x.test",
            Delivery.REFUSED,
            550,
            "5.4.5 Daily user sending quota exceeded.",
        ),
        50.0,
        pause=5,
        retry=PLAN,
    )
    assert record.state is HeldState.FAILED
    assert record.pending == ("a@x.test", "b@x.test", "c@x.test")
    assert "5.4.5 Daily user sending quota exceeded" in paused_because(record)
    again = resumed(record).decided(Resolution.INDIVIDUALLY, 60.0)
    assert again.state is HeldState.QUEUED and paused_because(again) == ""


def test_refusals_for_now_slow_the_run_then_pause_it() -> None:
    record = run()
    slow = outcome("a@x.test", Delivery.DEFERRED, 421, "4.7.0 Try again later")
    record = copy_done(record, slow, 10.0, pause=1, retry=PLAN)
    assert record.state is HeldState.QUEUED and record.next_attempt == 20.0
    record = copy_done(record, slow, 20.0, pause=1, retry=PLAN)
    assert record.next_attempt == 40.0  # the retry plan's second pause
    record = copy_done(record, slow, 40.0, pause=1, retry=PLAN)
    assert record.state is HeldState.FAILED  # after the plan's last try
    assert "421 4.7.0 Try again later" in paused_because(record)
    fine = copy_done(
        resumed(record).decided(Resolution.INDIVIDUALLY, 50.0),
        outcome("a@x.test", Delivery.ACCEPTED),
        51.0,
        pause=1,
        retry=PLAN,
    )
    assert fine.deferred == () and fine.delivered == ("a@x.test",)


def test_an_uncertain_copy_is_set_aside_and_the_others_go_on() -> None:
    record = copy_done(
        run(), outcome("a@x.test", Delivery.UNCERTAIN, 0, ""), 1.0, pause=1, retry=PLAN
    )
    assert record.state is HeldState.QUEUED and record.pending[0] == "b@x.test"
    for address in ("b@x.test", "c@x.test"):
        record = copy_done(
            record, outcome(address, Delivery.ACCEPTED), 2.0, pause=1, retry=PLAN
        )
    assert record.state is HeldState.UNCERTAIN
    assert record.uncertain == ("a@x.test",)
    went = record.decided(Resolution.WENT_OUT, 3.0)
    assert went.state is HeldState.SENT


def test_a_crash_after_a_copy_s_dot_makes_only_that_copy_uncertain() -> None:
    sending = run().attempt_started(("a@x.test",)).dot_going()
    after = recovered(sending)
    assert after.state is HeldState.QUEUED
    assert after.uncertain == ("a@x.test",)
    assert after.pending == ("b@x.test", "c@x.test")
    before_dot = recovered(run().attempt_started(("a@x.test",)))
    assert before_dot.uncertain == () and before_dot.pending[0] == "a@x.test"


def test_a_spent_budget_queues_the_next_copy_for_later() -> None:
    record = waiting_for_budget(run(), 86_400.0)
    assert record.state is HeldState.QUEUED and record.next_attempt == 86_400.0
    assert "daily sending limit" in record.outcome


def test_the_record_round_trips_through_json() -> None:
    record = replace(run(), delivered=("a@x.test",))
    assert HeldMessage.from_json(record.to_json()) == record
    assert record.answers == (Resolution.DISCARD,)  # stop the run


def test_a_pause_with_an_unconfirmed_copy_asks_about_it_first() -> None:
    # Found by the fault-schedule property test: a quota refusal right after a
    # copy whose reply never came paused the run as partly sent, and resuming it
    # sent that copy again.
    record = copy_done(
        run(), outcome("a@x.test", Delivery.UNCERTAIN, 0, ""), 1.0, pause=1, retry=PLAN
    )
    quota = outcome(
        "b@x.test", Delivery.REFUSED, 550, "5.4.5 Daily user sending quota exceeded."
    )
    paused = copy_done(record, quota, 2.0, pause=1, retry=PLAN)
    assert paused.state is HeldState.UNCERTAIN
    assert "5.4.5" in paused.outcome
    went = paused.decided(Resolution.WENT_OUT, 3.0)
    assert went.delivered == ("a@x.test",)
    assert went.pending == ("b@x.test", "c@x.test")
    for address in went.pending:  # the next day the server takes them
        went = copy_done(
            replace(went, state=HeldState.SENDING),
            outcome(address, Delivery.REFUSED, 550, "5.1.1 no such user")
            if address == "c@x.test"
            else outcome(address, Delivery.ACCEPTED),
            4.0,
            pause=1,
            retry=PLAN,
        )
    assert went.state is HeldState.PARTLY_SENT
    assert paused_because(went) == ""  # settled, no longer paused
