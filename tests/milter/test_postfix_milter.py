"""swaks → Postfix submission (SASL) → bccguard milter → Postfix → sink."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess

from tests.milter.mail_server import (
    CONVERTER,
    HOLDER,
    REJECTER,
    MailServer,
    mail,
    wait_delivered,
)
from tests.support import wait_for

CROWD = [f"person{i}@example.org" for i in range(6)]


def mass_mail(sender: str, tag: str, recipients: list[str] = CROWD) -> bytes:
    half = len(recipients) // 2
    return (
        f"From: Sender <{sender}>\r\n"
        f"To: {', '.join(recipients[:half])}\r\n"
        f"Subject: {tag}\r\n"
        f"Message-ID: <{tag}@example.com>\r\n"
        f"Cc: {', '.join(recipients[half:])}\r\n"
        "\r\n"
        f"body of {tag}\r\n"
    ).encode()


def delivered(server: MailServer, tag: str) -> list[email.message.EmailMessage]:
    found = []
    for item in list(server.sink.received):
        message = email.message_from_bytes(item.data, policy=email.policy.default)
        if message["Subject"] == tag:
            found.append(message)  # type: ignore[arg-type]
    return found


def test_a_mass_mail_is_converted_and_the_envelope_kept(server: MailServer) -> None:
    before = mail(server.sink)
    sent = server.send(mass_mail(CONVERTER, "convert-1"), CONVERTER, CROWD)
    assert sent.returncode == 0, sent.stdout
    wait_delivered(server.sink, before + 1)
    (message,) = delivered(server, "convert-1")
    assert message["To"] == "Sender <convert@example.com>"
    assert message["Cc"] is None
    assert message["X-BccGuard"].startswith("converted to Bcc: 6 visible")
    assert message.get_content().strip() == "body of convert-1"
    (item,) = [
        r for r in server.sink.received if b"Subject: convert-1\r\n" in r.data[:4000]
    ]
    assert sorted(item.rcpt_tos) == sorted(CROWD)


def test_a_small_message_passes_unchanged(server: MailServer) -> None:
    before = mail(server.sink)
    data = mass_mail(CONVERTER, "pass-1", CROWD[:2])
    assert server.send(data, CONVERTER, CROWD[:2]).returncode == 0
    wait_delivered(server.sink, before + 1)
    (message,) = delivered(server, "pass-1")
    assert message["Cc"] == CROWD[1]
    assert message["X-BccGuard"] is None


def test_a_blocking_policy_rejects_with_5_7_1(server: MailServer) -> None:
    sent = server.send(mass_mail(REJECTER, "reject-1"), REJECTER, CROWD)
    assert sent.returncode != 0
    assert "550 5.7.1 BccGuard:" in sent.stdout
    assert "see each other" in sent.stdout
    server.flush()
    assert delivered(server, "reject-1") == []


def test_an_asking_policy_holds_in_postfix_hold_queue(server: MailServer) -> None:
    sent = server.send(mass_mail(HOLDER, "hold-1"), HOLDER, CROWD)
    assert sent.returncode == 0, sent.stdout
    wait_for(lambda: len(server.held()) >= 1)
    listing = server.cli("held", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = [r for r in json.loads(listing.stdout) if r["subject"] == "hold-1"]
    assert len(rows) == 1
    assert rows[0]["in_hold_queue"]
    assert rows[0]["queue_id"] in {m["queue_id"] for m in server.held()}
    assert delivered(server, "hold-1") == []


def test_mail_without_sasl_is_not_touched(server: MailServer) -> None:
    """Mail Postfix takes without SASL (here: local sendmail) passes unchecked."""
    before = mail(server.sink)
    data = mass_mail(HOLDER, "local-1")
    subprocess.run(
        ["/usr/sbin/sendmail", "-i", "-f", HOLDER, "--", *CROWD],
        input=data,
        env=server.env(),
        check=True,
    )
    wait_delivered(server.sink, before + 1)
    (message,) = delivered(server, "local-1")
    assert message["Cc"] is not None
    assert message["X-BccGuard"] is None
