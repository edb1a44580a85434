"""Undo send's records: a countdown, its Undo and Send now, and what a crash leaves."""

from __future__ import annotations

import pytest

from bccguard.core.countdown import (
    counting_down,
    people,
    sent_now,
    undone,
    was_undone,
    with_countdown,
)
from bccguard.core.held import HeldError, HeldMessage, HeldState, Resolution, RetryPlan
from tests.ui.held_records import NOW, record


def passing(count: int = 3) -> HeldMessage:
    return record("c0ffee00", count, exposed_count=0, reasons=[], origin="passed")


def test_a_countdown_is_a_queued_release_due_when_it_ends() -> None:
    held = with_countdown(passing(), NOW, 10)
    assert held.state is HeldState.QUEUED and held.resolution is Resolution.AS_IS
    assert held.next_attempt == held.countdown_until == NOW + 10
    assert counting_down(held)
    assert people(held) == 3


def test_undo_makes_it_a_held_message_that_waits_for_an_answer() -> None:
    held = undone(with_countdown(passing(), NOW, 10), NOW + 2)
    assert held.state is HeldState.WAITING and held.resolution is None
    assert was_undone(held) and not counting_down(held)
    assert {Resolution.BCC, Resolution.AS_IS, Resolution.DISCARD} <= set(held.answers)
    # A release afterwards goes at once: no second countdown.
    released = held.decided(Resolution.BCC, NOW + 30)
    assert released.next_attempt == 0.0 and not counting_down(released)


def test_send_now_makes_it_due_at_once() -> None:
    held = sent_now(with_countdown(passing(), NOW, 60), NOW + 1)
    assert held.next_attempt == NOW + 1 and counting_down(held)


def test_neither_applies_once_the_attempt_has_started_or_ended() -> None:
    going = with_countdown(passing(), NOW, 10).attempt_started(("a@x",))
    with pytest.raises(HeldError, match="too late"):
        undone(going, NOW)
    done = going.attempt_finished(NOW + 11, RetryPlan())
    with pytest.raises(HeldError):
        sent_now(done, NOW)
    assert not counting_down(done)


def test_a_crash_keeps_the_countdown_and_its_time() -> None:
    held = with_countdown(passing(), NOW, 30)
    assert held.recovered() == held
    again = HeldMessage.from_json(held.to_json())
    assert again == held and counting_down(again)


def test_a_record_written_before_undo_send_reads_as_no_countdown() -> None:
    data = with_countdown(passing(), NOW, 30).to_json()
    del data["countdown_until"]
    assert not counting_down(HeldMessage.from_json(data))
