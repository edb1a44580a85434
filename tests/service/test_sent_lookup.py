"""A message that may have been sent is looked for in the Sent folder (real Dovecot)
before the user is asked: found there, it went out and nothing is sent again."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.core.held import HeldMessage, HeldState
from bccguard.core.settings import ProxySettings, Settings
from bccguard.mailbox_guard import SentFolderLookup, imap_password_key
from bccguard.service import Guard
from tests.dovecot_server import PASSWORD, Dovecot
from tests.smtp_sink import SinkServer
from tests.support import EventLog, MemorySecrets, wait_for

SENDER = "me@me.example"


def message(msgid: str) -> bytes:
    return (
        f"From: {SENDER}\r\nTo: a@x.example\r\nSubject: hello\r\n"
        f"Message-ID: {msgid}\r\n\r\nhi\r\n"
    ).encode()


ANSWERS: list[bool | None] = []


@pytest.fixture
def guard_with_mailbox(
    dovecot: Dovecot, upstream: SinkServer, tmp_path: Path
) -> Iterator[Callable[[], Guard]]:
    started: list[Guard] = []
    ANSWERS.clear()
    secrets = MemorySecrets()
    secrets.set(imap_password_key("home"), PASSWORD)
    settings = Settings(
        proxy=ProxySettings(port=free_port(), decision_timeout=2.0),
        accounts=(replace(dovecot.account(), email=SENDER),),
    )

    def make() -> Guard:
        guard = Guard(
            tmp_path / "home",
            settings,
            secrets,
            EventLog(),
            upstream=upstream.upstream(),
            sent_lookup=noted(SentFolderLookup(lambda: settings, secrets)),
        )
        guard.start()
        started.append(guard)
        return guard

    yield make
    for guard in started:
        guard.stop()


def noted(
    lookup: Callable[[HeldMessage], bool | None],
) -> Callable[[HeldMessage], bool | None]:
    """The real lookup, with each of its answers kept for the test."""

    def ask(held: HeldMessage) -> bool | None:
        answer = lookup(held)
        ANSWERS.append(answer)
        return answer

    return ask


def submit(guard: Guard, data: bytes) -> int:
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=30) as client:
        client.login("me", guard.local_secret)
        client.mail(SENDER)
        client.rcpt("a@x.example")
        code, _ = client.data(data)
    return code


def test_found_in_sent_it_went_out(
    guard_with_mailbox: Callable[[], Guard], dovecot: Dovecot, upstream: SinkServer
) -> None:
    # The provider filed it in Sent itself, then hung up before confirming.
    data = message("<filed@me.example>")
    dovecot.append("Sent", data)
    upstream.handler.drop_on_data = True
    guard = guard_with_mailbox()
    assert submit(guard, data) == 250
    wait_for(lambda: guard.held_messages()[0].state is HeldState.SENT)
    (kept,) = guard.held_messages()
    assert "found in your Sent folder" in kept.outcome
    assert kept.delivered == ("a@x.example",) and kept.answers == ()


def test_not_in_sent_the_user_decides(
    guard_with_mailbox: Callable[[], Guard], dovecot: Dovecot, upstream: SinkServer
) -> None:
    dovecot.append("Sent", message("<another@me.example>"))  # not this one
    upstream.handler.drop_on_data = True
    guard = guard_with_mailbox()
    assert submit(guard, message("<lost@me.example>")) == 250
    wait_for(lambda: ANSWERS == [False])  # Dovecot was asked, and said no
    (kept,) = guard.held_messages()
    assert kept.state is HeldState.UNCERTAIN
    assert kept.uncertain == ("a@x.example",) and upstream.received == []
