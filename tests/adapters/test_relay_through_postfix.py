"""The relay against a real Postfix: pipelined, on a kept connection, refusals in
Postfix's own words, every message delivered once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.smtp_relay import SmtpRelay, TlsMode, UpstreamConfig
from tests.postfix_server import available, postfix_relay
from tests.smtp_sink import SinkServer
from tests.support import wait_for

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

REFUSED = "refused@example.net"
# Postfix's access table: one recipient it refuses, as a provider refuses a typo.
RESTRICTIONS = (
    f"smtpd_recipient_restrictions = check_recipient_access "
    f"inline:{{ {{ {REFUSED} = 550 5.1.1 No such person here }} }}, "
    f"permit_mynetworks, reject"
)


def message(n: int) -> bytes:
    return (
        f"From: boss@example.com\r\nTo: team@example.com\r\nSubject: note {n}\r\n"
        f"Message-ID: <postfix-{n}@example.com>\r\n\r\nHello {n}.\r\n"
    ).encode()


@pytest.fixture
def postfix(sink: SinkServer) -> Iterator[tuple[UpstreamConfig, Path]]:
    """Postfix on 127.0.0.1 relaying to `sink`; its config and its folder."""
    port = free_port()
    with postfix_relay(port, sink.port, RESTRICTIONS) as home:
        yield UpstreamConfig("127.0.0.1", port, tls=TlsMode.NONE, timeout=30), home


def message_id(data: bytes) -> bytes:
    return data.split(b"Message-ID: ")[1].split(b"\r\n")[0]


def maillog(home: Path) -> str:
    log = home / "maillog"
    return log.read_text(errors="replace") if log.exists() else ""


def test_messages_go_pipelined_on_one_connection_and_arrive_once(
    postfix: tuple[UpstreamConfig, Path], sink: SinkServer
) -> None:
    config, home = postfix
    relay = SmtpRelay(config, keep_alive=30)
    rcpts = ["a@example.net", "b@example.org", "c@example.com"]
    try:
        results = [relay.send("boss@example.com", rcpts, message(n)) for n in range(5)]
    finally:
        relay.close()

    assert all(r.ok for r in results)
    assert all(
        re.match(r"2\.0\.0 Ok: queued as \w+", r.batches[0].text) for r in results
    )
    wait_for(lambda: len(sink.received) == 5, timeout=60)
    ids = sorted(message_id(r.data) for r in sink.received)
    assert ids == sorted(f"<postfix-{n}@example.com>".encode() for n in range(5))
    assert all(sorted(r.rcpt_tos) == sorted(rcpts) for r in sink.received)
    log = maillog(home)
    assert "improper command pipelining" not in log
    # One connection carried all five (the other one is the start-up probe).
    assert re.search(r"disconnect from \S+ ehlo=1 mail=5 rcpt=15 data=5 ", log)


def test_a_refused_recipient_is_reported_in_postfixs_words(
    postfix: tuple[UpstreamConfig, Path], sink: SinkServer
) -> None:
    config, _ = postfix
    relay = SmtpRelay(config, keep_alive=30)
    try:
        partly = relay.send("boss@example.com", ["a@example.net", REFUSED], message(1))
        nobody = relay.send("boss@example.com", [REFUSED], message(2))
        after = relay.send("boss@example.com", ["b@example.net"], message(3))
    finally:
        relay.close()

    assert partly.partial and partly.delivered == ("a@example.net",)
    code, text = partly.batches[0].refused[REFUSED]
    assert code == 550 and "No such person here" in text
    (refusal,) = nobody.batches
    assert refusal.code == 550 and "No such person here" in refusal.text
    assert after.ok  # the kept connection was left clean after the refusal
    wait_for(lambda: len(sink.received) == 2, timeout=60)
    assert sorted(r.rcpt_tos[0] for r in sink.received) == [
        "a@example.net",
        "b@example.net",
    ]
