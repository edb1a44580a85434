"""Undo send through the guard: real SMTP clients -> proxy -> real aiosmtpd upstream.

The mail program is answered 250 while the message still counts down (nothing has
gone yet); it goes once when due; an Undo before that holds it; a retry of the
same message during the countdown gets no second copy; Thunderbird's proven delay
is not waited twice.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import make_msgid

import pytest

from bccguard.core.countdown import counting_down, was_undone
from bccguard.core.decision_proof import HEADER, make_proof, proof_key
from bccguard.core.held import HeldMessage, HeldState, Origin, Resolution
from bccguard.core.settings import Account, Settings
from bccguard.events import (
    CountdownEnded,
    CountdownStarted,
    CountdownUndone,
    Event,
    HeldUpdated,
)
from bccguard.service import Guard
from bccguard.service.errors import GuardError
from tests.service.test_guard import mass_mail, recipients, submit
from tests.smtp_sink import SinkServer
from tests.support import EventLog, GuardFactory, wait_for

SENDER = "me@sender.example"
PEOPLE = ["ann@a.example", "bob@b.example", "cy@c.example"]


def small_mail(msgid: str = "") -> bytes:
    return (
        f"From: Me <{SENDER}>\r\nTo: {', '.join(PEOPLE)}\r\nSubject: lunch\r\n"
        f"Message-ID: {msgid or make_msgid()}\r\n\r\nSee you at one.\r\n"
    ).encode()


def delayed_guard(make_guard: GuardFactory, delay: int = 5) -> Guard:
    account = Account(
        name="me",
        email=SENDER,
        smtp_host="127.0.0.1",
        smtp_tls="none",
        undo_delay=delay,
    )
    return make_guard(Settings(accounts=(account,)))


class TimedLog(EventLog):
    """Every event with the wall-clock time it came."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[float, Event]] = []

    def emit(self, event: Event) -> None:
        self.times.append((time.time(), event))
        super().emit(event)


def timed(guard: Guard) -> TimedLog:
    log = TimedLog()
    guard.events = log
    return log


def only_record(guard: Guard) -> HeldMessage:
    (record,) = guard.engine.all()
    return record


def proof(guard: Guard, visible: list[str], *decisions: str) -> bytes:
    value = make_proof(proof_key(guard.local_secret), visible, time.time(), decisions)
    return f"{HEADER}: {value}\r\n".encode()


def test_the_mail_program_gets_250_before_anything_goes_and_one_copy_goes_when_due(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard)
    log = timed(guard)
    data = small_mail()
    code, text = submit(guard, data, PEOPLE)
    # Answered while it still counts down: the delay is not the client's to wait.
    record = only_record(guard)
    assert counting_down(record), record
    assert upstream.received == []
    assert code == 250 and record.id in text and "in 5 s" in text, text
    assert record.countdown_until >= record.received_at + 5
    assert guard.store.get(record.id) is not None  # durable before the 250

    wait_for(lambda: only_record(guard).state is HeldState.SENT, timeout=30)
    assert len(upstream.received) == 1
    assert upstream.received[0].data == data
    assert upstream.received[0].rcpt_tos == PEOPLE
    started = [
        at
        for at, event in log.times
        if isinstance(event, HeldUpdated) and event.held.state is HeldState.SENDING
    ]
    assert started and min(started) >= record.countdown_until
    assert [e.held.id for e in log.of(CountdownStarted)] == [record.id]
    wait_for(lambda: bool(log.of(CountdownEnded)))
    (ended,) = log.of(CountdownEnded)
    assert ended.held.id == record.id and ended.held.state is HeldState.SENT


def test_undo_inside_the_window_sends_nothing_and_holds_the_message(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard)
    log = timed(guard)
    code, _ = submit(guard, small_mail(), PEOPLE)
    assert code == 250
    record = only_record(guard)
    undone = guard.countdowns.undo(record.id)
    assert undone.state is HeldState.WAITING and was_undone(undone)
    assert guard.store.get(record.id) == undone  # on disk
    assert [e.held.id for e in log.of(CountdownUndone)] == [record.id]
    # Past the due time nothing goes by itself: it waits for an answer.
    wait_for(lambda: time.time() > record.countdown_until + 1, timeout=30)
    assert upstream.received == []
    assert only_record(guard).state is HeldState.WAITING
    # The usual answers apply; a release is not delayed again.
    done = guard.decide(record.id, Resolution.BCC).result(30)
    assert done.state is HeldState.SENT
    assert len(upstream.received) == 1
    header = upstream.received[0].data.partition(b"\r\n\r\n")[0]
    assert b"ann@a.example" not in header
    assert log.of(CountdownEnded) == []  # undone: a held message, told as such


def test_undo_after_the_message_went_is_refused_and_changes_nothing(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard)
    submit(guard, small_mail(), PEOPLE)
    record = only_record(guard)
    wait_for(lambda: only_record(guard).state is HeldState.SENT, timeout=30)
    with pytest.raises(GuardError, match="not counting down"):
        guard.countdowns.undo(record.id)
    assert only_record(guard).state is HeldState.SENT
    assert len(upstream.received) == 1


def test_send_now_ends_the_countdown_at_once(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard, delay=60)
    submit(guard, small_mail(), PEOPLE)
    record = only_record(guard)
    guard.countdowns.send_now(record.id)
    wait_for(lambda: only_record(guard).state is HeldState.SENT, timeout=30)
    assert len(upstream.received) == 1


def test_a_retry_during_the_countdown_gets_no_second_copy(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard)
    data = small_mail()
    submit(guard, data, PEOPLE)
    code, text = submit(guard, data, PEOPLE)
    assert code == 250, text
    record = only_record(guard)  # still one record
    assert record.id in text
    wait_for(lambda: only_record(guard).state is HeldState.SENT, timeout=30)
    code, text = submit(guard, data, PEOPLE)
    assert code == 250 and "Already sent" in text
    assert len(guard.engine.all()) == 1  # nothing else that could go
    assert len(upstream.received) == 1


def test_discard_during_the_countdown_sends_nothing(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard)
    submit(guard, small_mail(), PEOPLE)
    record = only_record(guard)
    log = timed(guard)
    done = guard.decide(record.id, Resolution.DISCARD).result(30)
    assert done.state is HeldState.DISCARDED
    assert [e.held.state for e in log.of(CountdownEnded)] == [HeldState.DISCARDED]
    wait_for(lambda: time.time() > record.countdown_until + 1, timeout=30)
    assert upstream.received == []


def test_a_held_message_released_is_not_delayed_again(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard, delay=60)
    data = mass_mail(30)
    code, _ = submit(guard, data, recipients(30))
    assert code == 451  # held by the policy (decision timeout: 5 s)
    held = only_record(guard)
    assert held.origin is Origin.HELD and not counting_down(held)
    done = guard.decide(held.id, Resolution.AS_IS).result(30)
    assert done.state is HeldState.SENT  # at once, not 60 s later
    assert len(upstream.received) == 1


def test_thunderbirds_proven_delay_is_not_waited_again(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard, delay=60)
    data = small_mail()
    code, _ = submit(guard, proof(guard, PEOPLE, "delayed") + data, PEOPLE)
    assert code == 250
    assert guard.engine.all() == []  # straight through, end to end
    assert upstream.received[0].data == data  # the proof never leaves


def test_a_delay_proof_does_not_let_a_mass_mail_pass(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard, delay=60)
    data = mass_mail(30, sender=SENDER)
    code, _ = submit(
        guard, proof(guard, recipients(30), "delayed") + data, recipients(30)
    )
    assert code == 451  # the recipients are checked as usual
    held = only_record(guard)
    assert held.state is HeldState.WAITING and held.origin is Origin.HELD
    assert upstream.received == []


def test_send_as_is_and_the_delay_both_proven_go_at_once(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard, delay=60)
    data = mass_mail(30, sender=SENDER)
    stamped = proof(guard, recipients(30), "as-is", "delayed") + data
    code, _ = submit(guard, stamped, recipients(30))
    assert code == 250
    assert guard.engine.all() == []
    assert upstream.received[0].data == data


def test_a_delay_proof_for_other_recipients_is_ignored(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard)
    data = small_mail()
    code, _ = submit(guard, proof(guard, PEOPLE[:2], "delayed") + data, PEOPLE)
    assert code == 250
    assert counting_down(only_record(guard))  # waits as usual
    assert upstream.received == []
    assert HEADER.encode() not in guard.store.data(only_record(guard).id)


def test_an_account_without_a_delay_goes_end_to_end(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard, delay=0)
    code, _ = submit(guard, small_mail(), PEOPLE)
    assert code == 250
    assert guard.engine.all() == []
    assert len(upstream.received) == 1


def test_the_same_message_sent_by_several_clients_at_once_is_one_countdown(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard)
    data = small_mail()
    start = threading.Barrier(8)

    def client() -> tuple[int, str]:
        start.wait()
        return submit(guard, data, PEOPLE)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: client(), range(8)))
    assert all(code == 250 for code, _ in replies), replies
    record = only_record(guard)  # one record, whichever client came first
    assert all(record.id in text for _, text in replies), replies
    wait_for(lambda: only_record(guard).state is HeldState.SENT, timeout=30)
    assert len(upstream.received) == 1


def test_the_same_message_sent_again_after_undo_is_told_it_was_stopped(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = delayed_guard(make_guard)  # decision timeout: 5 s
    data = small_mail()
    submit(guard, data, PEOPLE)
    record = only_record(guard)
    guard.countdowns.undo(record.id)
    code, text = submit(guard, data, PEOPLE)
    assert code == 451, text
    assert "Undo" in text and record.id in text and "would see" not in text
    assert upstream.received == [] and len(guard.engine.all()) == 1
