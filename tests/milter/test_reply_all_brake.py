"""The reply-all brake: replies to all on a thread that showed many people to
each other pass up to the limit (3 within 10 minutes here), then are held."""

from __future__ import annotations

from tests.milter.mail_server import STAFF_DOMAIN, MailServer, mail, wait_delivered
from tests.milter.test_postfix_milter import delivered
from tests.support import wait_for

STAFF = [f"member{i}@{STAFF_DOMAIN}" for i in range(8)]


def staff_mail(sender: str, tag: str, reply_to: str = "") -> bytes:
    thread = (
        f"In-Reply-To: <{reply_to}>\r\nReferences: <{reply_to}>\r\n" if reply_to else ""
    )
    return (
        f"From: {sender}\r\nTo: {', '.join(STAFF)}\r\nSubject: {tag}\r\n"
        f"Message-ID: <{tag}@{STAFF_DOMAIN}>\r\n{thread}\r\nhello all\r\n"
    ).encode()


def test_the_fourth_reply_to_all_is_held(server: MailServer) -> None:
    before = mail(server.sink)
    sender = STAFF[0]
    assert server.send(staff_mail(sender, "storm-0"), sender, STAFF).returncode == 0
    for n in range(1, 4):
        reply = staff_mail(STAFF[n], f"storm-{n}", "storm-0@" + STAFF_DOMAIN)
        assert server.send(reply, STAFF[n], STAFF).returncode == 0
    wait_delivered(server.sink, before + 4)
    assert all(len(delivered(server, f"storm-{n}")) == 1 for n in range(4))
    held_before = len(server.held())
    fourth = staff_mail(STAFF[4], "storm-4", "storm-0@" + STAFF_DOMAIN)
    assert server.send(fourth, STAFF[4], STAFF).returncode == 0
    wait_for(lambda: len(server.held()) == held_before + 1)
    listing = server.cli("held", "list").stdout
    assert "storm-4" in listing
    assert delivered(server, "storm-4") == []


def test_a_reply_to_the_sender_alone_is_no_storm(server: MailServer) -> None:
    before = mail(server.sink)
    sender = STAFF[0]
    assert server.send(staff_mail(sender, "calm-0"), sender, STAFF).returncode == 0
    for n in range(1, 6):
        data = (
            f"From: {STAFF[n]}\r\nTo: {sender}\r\nSubject: calm-{n}\r\n"
            f"In-Reply-To: <calm-0@{STAFF_DOMAIN}>\r\n\r\nthanks\r\n"
        ).encode()
        assert server.send(data, STAFF[n], [sender]).returncode == 0
    wait_delivered(server.sink, before + 6)
    assert all(len(delivered(server, f"calm-{n}")) == 1 for n in range(6))
