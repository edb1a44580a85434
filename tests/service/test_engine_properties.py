"""The hold engine's promise over random fault schedules, in process: the real proxy,
the real engine and relay, a real aiosmtpd upstream scripted per example.

Per example Hypothesis picks the recipients, which of them the server refuses for
now (4xx) or for good (5xx) at each attempt, what happens to each message the
server gets (it hangs up in the middle or right after the dot, is slow to confirm,
refuses it), whether the message is held and released or passes, and whether the
client sends it again (as after a 4xx or a lost reply). Whatever the
schedule, once the engine has done what it does by itself:

- no recipient has the message twice;
- every recipient the engine says got it (``delivered``) has it;
- every recipient who has it is ``delivered`` or ``uncertain`` (never "refused" or
  "pending": a "send again" would give them a second copy);
- every recipient who does not have it is named to the user: in ``undelivered`` of
  a record, or the client was refused and nobody got it (the client keeps it).

An uncertain record is then answered "it went out", and the rest checked again.
"""

from __future__ import annotations

import itertools
import smtplib
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bccguard.adapters.demo_sink import free_port
from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.core.settings import (
    ProxySettings,
    SettingsError,
    settings_from_mapping,
)
from bccguard.service import Guard
from tests.smtp_sink import SinkServer
from tests.support import EventLog, MemorySecrets, wait_for

SENDER = "me@sender.example"
RCPT_REPLIES = (None, None, "451 4.2.1 mailbox busy", "550 5.1.1 no such user")
DATA_FAULTS = (
    None,
    "hang-up-after-dot",
    "hang-up-mid-data",
    "slow-final",
    "drop",
    "451 4.3.0 try again later",
    "554 5.6.0 message refused",
)
QUICK = {
    "take_over_after": 1.0,
    "final_reply_timeout": 10.0,
    "retry_delays": [0.2, 0.2, 0.2],
    "max_attempts": 4,
}
_examples = itertools.count()


@dataclass(frozen=True)
class Schedule:
    """One example: who is refused when, what becomes of each message sent."""

    rcpt_replies: tuple[tuple[str | None, ...], ...]  # per recipient, per attempt
    data_faults: tuple[str | None, ...]  # per DATA command, in order
    how: str  # "bcc" | "as-is": held and released so; "passed": it passes
    retry: bool  # the client sends the same message again (see the test)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    how = draw(st.sampled_from(["bcc", "as-is", "passed"]))
    count = draw(st.integers(2 if how != "passed" else 1, 7))
    replies = draw(
        st.lists(
            st.lists(st.sampled_from(RCPT_REPLIES), max_size=3).map(tuple),
            min_size=count,
            max_size=count,
        )
    )
    faults = draw(st.lists(st.sampled_from(DATA_FAULTS), max_size=4))
    return Schedule(tuple(replies), tuple(faults), how, draw(st.booleans()))


@pytest.fixture
def engine(tmp_path: Path, upstream: SinkServer) -> Iterator[Guard]:
    """A guard as `make_guard` builds it (conftest), but keeping the [delivery]
    timings, so that retries come within the example; 3 recipients per batch."""
    try:
        base = settings_from_mapping({"policy": {"threshold": 1}, "delivery": QUICK})
    except SettingsError:  # before the new engine: run on the defaults
        base = settings_from_mapping({"policy": {"threshold": 1}})
    proxy = ProxySettings(port=free_port(), decision_timeout=3.0)
    guard = Guard(
        tmp_path / "home",
        replace(base, proxy=proxy),
        MemorySecrets(),
        EventLog(),
        upstream=upstream.upstream(max_recipients=3, timeout=5.0),
    )
    guard.start()
    yield guard
    upstream.handler.calm()
    guard.stop()


def message(number: int, to: Sequence[str], hidden: Sequence[str]) -> bytes:
    return (
        f"From: Me <{SENDER}>\r\nTo: {', '.join(to)}\r\n"
        f"Subject: example {number}\r\n"
        # Not email.utils.make_msgid: Hypothesis seeds `random` the same way for
        # every example, and two examples then share a Message-ID.
        f"Message-ID: <{number}.{uuid.uuid4().hex}@p.test>\r\n"
        f"\r\nHello {len(to) + len(hidden)}\r\n"
    ).encode()


def client_send(
    guard: Guard, recipients: Sequence[str], data: bytes
) -> tuple[int, str]:
    """Like a mail client; (0, why) when the connection broke."""
    try:
        with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=60) as client:
            client.login("me", guard.local_secret)
            client.mail(SENDER)
            for rcpt in recipients:
                client.rcpt(rcpt)
            code, text = client.data(data)
            return code, text.decode()
    except (OSError, smtplib.SMTPException) as error:
        return 0, str(error)


def records_of(guard: Guard, message_id: str) -> list[HeldMessage]:
    return [h for h in guard.held_messages() if h.message_id == message_id]


def quiet(guard: Guard, message_id: str) -> bool:
    """Nothing more happens to the message by itself: every record of it is final
    or waits for the user."""
    return all(
        h.state.final or h.state.needs_user for h in records_of(guard, message_id)
    )


def check_promise(
    upstream: SinkServer,
    recipients: Sequence[str],
    records: Sequence[HeldMessage],
    client_ok: bool,
    declared: frozenset[str] = frozenset(),
) -> None:
    """The promise (see the module); ``declared``: those the user said got it."""
    copies = upstream.handler.copies()
    seen = f"; copies {[copies[r] for r in recipients]}, records " + repr(
        [
            (h.state.value, h.origin.value, h.delivered, h.uncertain, h.outcome)
            for h in records
        ]
    )
    twice = [r for r in recipients if copies[r] > 1]
    assert not twice, f"got it twice: {twice}{seen}"
    delivered = {r for h in records for r in h.delivered}
    uncertain = {r for h in records for r in h.uncertain}
    named = {r for h in records for r in h.undelivered}
    lied = [r for r in delivered - declared if copies[r] != 1]
    assert not lied, f"said delivered, never got it: {lied}{seen}"
    if records:
        unknown = [
            r for r in recipients if copies[r] and r not in delivered | uncertain
        ]
        assert not unknown, f"got it, but the record says otherwise: {unknown}{seen}"
    missing = [r for r in recipients if not copies[r] and r not in declared]
    if records:
        silent = [r for r in missing if r not in named]
        assert not silent, f"never got it, and nobody was told: {silent}{seen}"
    elif client_ok:
        assert not missing, f"told 250, they never got it: {missing}{seen}"
    else:  # refused to the client, which keeps its copy: nobody may have it
        got = [r for r in recipients if copies[r]]
        assert not got, f"the client was refused, yet they got it: {got}{seen}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(schedule=schedules())
def test_every_recipient_at_most_once_and_every_miss_named(
    engine: Guard, upstream: SinkServer, schedule: Schedule
) -> None:
    number = next(_examples)
    recipients = [
        f"r{number}-{i}@p{i % 3}.test" for i in range(len(schedule.rcpt_replies))
    ]
    sink = upstream.handler
    sink.calm()
    sink.rcpt_sequences = {
        r: list(replies)
        for r, replies in zip(recipients, schedule.rcpt_replies, strict=True)
    }
    sink.slow_final = 0.3
    if schedule.how == "passed":
        data = message(number, recipients[:1], recipients[1:])
    else:
        data = message(number, recipients, ())
    message_id = data.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()

    with ThreadPoolExecutor(1) as pool:
        if schedule.how == "passed":
            sink.data_faults = deque(schedule.data_faults)
            reply = pool.submit(client_send, engine, recipients, data)
        else:
            reply = pool.submit(client_send, engine, recipients, data)
            wait_for(lambda: bool(records_of(engine, message_id)), timeout=15)
            (held,) = records_of(engine, message_id)
            assert held.state is HeldState.WAITING
            sink.data_faults = deque(schedule.data_faults)
            engine.decide(held.id, Resolution(schedule.how)).result(timeout=60)
        code, _ = reply.result(timeout=90)
    wait_for(lambda: quiet(engine, message_id), timeout=30)
    # The client sends it again: a held one in any case (the user may press send
    # twice), one that passed when it was not told 250 (as after a 4xx).
    if schedule.retry and (schedule.how != "passed" or not 200 <= code < 300):
        code, _ = client_send(engine, recipients, data)
        wait_for(lambda: quiet(engine, message_id), timeout=30)
    records = records_of(engine, message_id)
    client_ok = 200 <= code < 300 and schedule.how == "passed"
    check_promise(upstream, recipients, records, client_ok)

    # The user says the uncertain ones went out: the rest (if any) are sent.
    declared = frozenset(r for h in records for r in h.uncertain)
    for record in records:
        if record.state is HeldState.UNCERTAIN:
            sink.calm()
            engine.decide(record.id, Resolution.WENT_OUT).result(timeout=60)
    wait_for(lambda: quiet(engine, message_id), timeout=30)
    after = records_of(engine, message_id)
    assert not [h for h in after if h.state is HeldState.UNCERTAIN]
    check_promise(upstream, recipients, after, client_ok, declared)
