"""Failing safe: the milter killed mid-session means 4xx and nothing delivered;
5,000 recipients, a 50 MB message and malformed input never crash it."""

from __future__ import annotations

import json
import signal
import smtplib

import pytest

from tests.dovecot_server import PASSWORD, USER
from tests.milter.mail_server import CONVERTER, HOLDER, MailServer, mail, wait_delivered
from tests.milter.test_postfix_milter import CROWD, delivered, mass_mail
from tests.support import wait_for


def held_ids(server: MailServer) -> set[str]:
    return {m["queue_id"] for m in server.held()}


def test_the_milter_killed_mid_message_means_4xx_and_nothing_sent(
    server: MailServer,
) -> None:
    held_before = held_ids(server)
    client = smtplib.SMTP("127.0.0.1", server.port, timeout=60)
    try:
        client.login(USER, PASSWORD)
        client.mail(CONVERTER)
        for rcpt in CROWD:
            client.rcpt(rcpt)
        code, _ = client.docmd("DATA")
        assert code == 354
        data = mass_mail(CONVERTER, "killed-1")
        client.send(data[: len(data) // 2])
        server.stop_milter(signal.SIGKILL)
        client.send(data[len(data) // 2 :] + b".\r\n")
        code, text = client.getreply()
    finally:
        client.close()
        server.start_milter()
    assert 400 <= code < 500, text
    server.flush()
    assert delivered(server, "killed-1") == []
    assert held_ids(server) >= held_before  # the held queue is intact
    # And the milter back, mail flows again.
    before = mail(server.sink)
    assert (
        server.send(mass_mail(CONVERTER, "after-kill"), CONVERTER, CROWD).returncode
        == 0
    )
    wait_delivered(server.sink, before + 1)
    assert len(delivered(server, "after-kill")) == 1


def test_5000_recipients_cut_by_postfix_are_held_with_the_reason(
    server: MailServer,
) -> None:
    crowd = [f"member{i:04d}@example.org" for i in range(5000)]
    data = (
        f"From: {CONVERTER}\r\nTo: {', '.join(crowd)}\r\nSubject: five-thousand\r\n"
        "Message-ID: <five-thousand@example.com>\r\n\r\nhello\r\n"
    ).encode()
    assert len(data) > 102_400  # beyond Postfix's header_size_limit
    held_before = len(server.held())
    sent = server.send(data, CONVERTER, crowd)
    assert sent.returncode == 0, sent.stdout[-2000:]
    wait_for(lambda: len(server.held()) == held_before + 1)
    rows = json.loads(server.cli("held", "list", "--json").stdout)
    (row,) = [r for r in rows if r["subject"] == "five-thousand"]
    assert "may have been cut" in row["reasons"][0], row["reasons"]
    assert delivered(server, "five-thousand") == []


@pytest.mark.slow
def test_a_50_mb_message_is_converted_without_its_body_reaching_the_milter(
    server: MailServer,
) -> None:
    line = b"x" * 998 + b"\r\n"
    body = line * (50 * 1024 * 1024 // len(line))
    data = mass_mail(CONVERTER, "fifty-mb").replace(b"body of fifty-mb\r\n", body)
    sent = server.send(data, CONVERTER, CROWD)
    assert sent.returncode == 0, sent.stdout[-2000:]
    wait_for(lambda: len(delivered(server, "fifty-mb")) == 1, timeout=120)
    (message,) = delivered(server, "fifty-mb")
    assert message["Cc"] is None
    (item,) = [
        r for r in server.sink.received if b"Subject: fifty-mb\r\n" in r.data[:4000]
    ]
    # The body as sent (swaks ends the data with one more line break).
    assert item.data.rstrip(b"\r\n").endswith(body.rstrip(b"\r\n"))


MALFORMED = [
    b"\x00\x01\x02 binary junk\r\n\r\n\xff\xfe",
    b'To: <<a@x, b@y;;; c@\r\n Cc: "unclosed\r\nSubject: broken-1\r\n\r\nx\r\n',
    b"From: =?utf-8?b?!!!?= <a@example.com>\r\nTo: =?x-unknown?q?=ZZ?= a@b.c\r\n"
    b"Subject: broken-2\r\n\r\nx\r\n",
    b"Subject: only-a-subject\r\n\r\nno recipients shown\r\n",
    b"To: " + b"\xc3\x28" * 50 + b"@example.org\r\nSubject: broken-3\r\n\r\nx\r\n",
]


@pytest.mark.parametrize("data", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_input_gets_an_answer_and_the_milter_lives(
    server: MailServer, data: bytes
) -> None:
    sent = server.send(data, HOLDER, CROWD)
    assert sent.returncode == 0 or " 4" in sent.stdout or " 5" in sent.stdout
    assert server.milter is not None and server.milter.poll() is None
