"""Send one by one over random fault schedules, in process: the real proxy, engine
and relay, a real aiosmtpd upstream scripted per example.

Per example Hypothesis picks the recipients, how the server answers each one's
RCPT at each try (accepted, refused for now, refused for good) and what happens to
each copy it gets (it hangs up in the middle or right after the dot, is slow to
confirm, refuses it, says the daily quota is spent). Whatever the schedule, once
the run has done what it does by itself:

- every copy went to one recipient only, and nobody has two;
- every recipient the run says got theirs (``delivered``) has exactly one;
- every recipient who has one is ``delivered`` or ``uncertain``;
- every recipient without one is named (``undelivered``).

The uncertain ones are then answered "it went out", and the rest sent one by one
again with the server well (a paused run resumed, the refused given another
chance): then everyone has exactly one copy.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bccguard.adapters.demo_sink import free_port
from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.core.settings import ProxySettings, settings_from_mapping
from bccguard.service import Guard
from tests.service.test_engine_properties import (
    QUICK,
    client_send,
    message,
    records_of,
)
from tests.smtp_sink import SinkServer
from tests.support import EventLog, MemorySecrets, wait_for

RCPT_REPLIES = (None, None, None, "451 4.2.1 mailbox busy", "550 5.1.1 no such user")
DATA_FAULTS = (
    None,
    None,
    "hang-up-after-dot",
    "hang-up-mid-data",
    "slow-final",
    "drop",
    "451 4.3.0 try again later",
    "554 5.6.0 message refused",
    "550 5.4.5 Daily user sending quota exceeded.",
)
_examples = itertools.count()


@dataclass(frozen=True)
class Schedule:
    rcpt_replies: tuple[tuple[str | None, ...], ...]  # per recipient, per try
    data_faults: tuple[str | None, ...]  # per DATA command, in order


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    count = draw(st.integers(2, 6))
    replies = draw(
        st.lists(
            st.lists(st.sampled_from(RCPT_REPLIES), max_size=3).map(tuple),
            min_size=count,
            max_size=count,
        )
    )
    faults = draw(st.lists(st.sampled_from(DATA_FAULTS), max_size=6))
    return Schedule(tuple(replies), tuple(faults))


@pytest.fixture
def engine(tmp_path: Path, upstream: SinkServer) -> Iterator[Guard]:
    base = settings_from_mapping(
        {"policy": {"threshold": 1}, "delivery": {**QUICK, "one_by_one_pause": 0.01}}
    )
    guard = Guard(
        tmp_path / "home",
        replace(base, proxy=ProxySettings(port=free_port(), decision_timeout=3.0)),
        MemorySecrets(),
        EventLog(),
        upstream=upstream.upstream(timeout=5.0),
    )
    guard.start()
    yield guard
    upstream.handler.calm()
    guard.stop()


def settled(guard: Guard, held_id: str) -> HeldMessage:
    """The run once nothing more happens to it by itself."""
    wait_for(
        lambda: (
            (record := guard.engine.get(held_id)) is not None
            and (record.state.final or record.state.needs_user)
        ),
        timeout=60,
    )
    record = guard.engine.get(held_id)
    assert record is not None
    return record


def check(upstream: SinkServer, recipients: list[str], run: HeldMessage) -> None:
    for got in upstream.received:
        assert len(got.rcpt_tos) == 1, got.rcpt_tos
    copies = upstream.handler.copies()
    seen = f"; copies {[copies[r] for r in recipients]}, run {run.state.value} " + (
        f"{run.delivered} {run.uncertain} {run.outcome}"
    )
    assert not [r for r in recipients if copies[r] > 1], "twice" + seen
    assert not [r for r in run.delivered if copies[r] != 1], "said sent" + seen
    has = [r for r in recipients if copies[r]]
    assert not [r for r in has if r not in {*run.delivered, *run.uncertain}], seen
    missing = [r for r in recipients if not copies[r]]
    assert not [r for r in missing if r not in run.undelivered], "unnamed" + seen


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(schedule=schedules())
def test_each_recipient_gets_one_copy_at_most_and_every_miss_is_named(
    engine: Guard, upstream: SinkServer, schedule: Schedule
) -> None:
    number = next(_examples)
    recipients = [
        f"o{number}-{i}@p{i % 3}.test" for i in range(len(schedule.rcpt_replies))
    ]
    sink = upstream.handler
    sink.calm()
    sink.slow_final = 0.3
    sink.rcpt_sequences = {
        r: list(replies)
        for r, replies in zip(recipients, schedule.rcpt_replies, strict=True)
    }
    data = message(number, recipients, ())
    message_id = data.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
    code, _ = client_send(engine, recipients, data)
    assert code == 451  # held: it waits for the user
    (held,) = records_of(engine, message_id)
    before = len(upstream.received)
    sink.data_faults = deque(schedule.data_faults)
    engine.send_one_by_one(held.id, None).result(timeout=60)
    run = settled(engine, held.id)
    mine = list(upstream.received[before:])
    assert all(g.rcpt_tos[0] in recipients for g in mine)
    check(upstream, recipients, run)

    # "It went out" for the uncertain, then the rest with the server well again.
    sink.calm()
    sink.rcpt_sequences = {}
    if run.state is HeldState.UNCERTAIN:
        engine.decide(held.id, Resolution.WENT_OUT).result(timeout=60)
        run = settled(engine, held.id)
    if run.undelivered and Resolution.INDIVIDUALLY in run.answers:
        engine.decide(held.id, Resolution.INDIVIDUALLY).result(timeout=60)
        run = settled(engine, held.id)
    copies = upstream.handler.copies()
    declared = set(run.delivered)
    assert run.state is HeldState.SENT, run
    assert all(copies[r] == 1 or r in declared for r in recipients)
    assert not [r for r in recipients if copies[r] > 1]
