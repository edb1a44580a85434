"""A run's copies that may have been sent are looked for in the Sent folder (real
Dovecot), each by its own Message-ID: one found there went out, one not found
is left to the user."""

from __future__ import annotations

import smtplib
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.core.held import HeldState, Resolution
from bccguard.core.settings import (
    DeliverySettings,
    PolicySettings,
    ProxySettings,
    Settings,
)
from bccguard.mailbox_guard import SentFolderLookup, imap_password_key
from bccguard.service import Guard
from tests.dovecot_server import PASSWORD, Dovecot
from tests.smtp_sink import SinkServer
from tests.support import EventLog, MemorySecrets, wait_for

SENDER = "me@me.example"
PEOPLE = [f"p{i}@x{i}.example" for i in range(5)]


@pytest.fixture
def guard(dovecot: Dovecot, upstream: SinkServer, tmp_path: Path) -> Iterator[Guard]:
    secrets = MemorySecrets()
    secrets.set(imap_password_key("home"), PASSWORD)
    settings = Settings(
        policy=PolicySettings(threshold=1),
        proxy=ProxySettings(port=free_port(), decision_timeout=1.0),
        delivery=DeliverySettings(one_by_one_pause=0.01),
        accounts=(replace(dovecot.account(), email=SENDER),),
    )
    guard = Guard(
        tmp_path / "home",
        settings,
        secrets,
        EventLog(),
        upstream=upstream.upstream(),
        sent_lookup=SentFolderLookup(lambda: settings, secrets),
    )
    guard.start()
    yield guard
    guard.stop()


def test_each_uncertain_copy_is_looked_for_by_its_own_message_id(
    guard: Guard, dovecot: Dovecot, upstream: SinkServer
) -> None:
    data = (
        f"From: {SENDER}\r\nTo: {', '.join(PEOPLE)}\r\nSubject: hello\r\n"
        "Message-ID: <run@me.example>\r\n\r\nhi\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=30) as client:
        client.login("me", guard.local_secret)
        client.mail(SENDER)
        for rcpt in PEOPLE:
            client.rcpt(rcpt)
        code, _ = client.data(data)
    assert code == 451  # held: it waits in BccGuard
    (held,) = guard.held_messages()
    assert held.state is HeldState.WAITING
    # The server keeps the second and the fourth copy and hangs up before it
    # confirms; the provider filed the second in Sent, not the fourth.
    faults = [None, "hang-up-after-dot", None, "hang-up-after-dot", None]
    upstream.handler.data_faults = deque(faults)
    original_note = upstream.handler._note

    def file_the_second(phase: str, detail: str) -> None:
        original_note(phase, detail)
        if phase == "kept" and detail == PEOPLE[1]:
            dovecot.append("Sent", upstream.handler.received[-1].data)

    upstream.handler._note = file_the_second  # type: ignore[method-assign]
    guard.send_one_by_one(held.id, None).result(timeout=60)
    wait_for(
        lambda: (
            (r := guard.engine.get(held.id)) is not None
            and r.state is HeldState.UNCERTAIN
            and r.uncertain == (PEOPLE[3],)
        ),
        timeout=30,
    )
    run = guard.engine.get(held.id)
    assert run is not None
    assert sorted(run.delivered) == sorted([PEOPLE[0], PEOPLE[1], PEOPLE[2], PEOPLE[4]])
    assert len(upstream.received) == 5  # nothing sent twice
    guard.decide(held.id, Resolution.WENT_OUT).result(timeout=30)
    done = guard.engine.get(held.id)
    assert done is not None and done.state is HeldState.SENT
