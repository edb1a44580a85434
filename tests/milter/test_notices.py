"""The sender of a held or rejected message is told, by a notice with a null
sender and Auto-Submitted: auto-generated that is never checked or held itself."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from tests.milter.mail_server import HOLDER, REJECTER, MailServer
from tests.milter.test_postfix_milter import CROWD, mass_mail
from tests.smtp_sink import Received
from tests.support import wait_for


def notices(server: MailServer, subject: str) -> list[tuple[Received, EmailMessage]]:
    found = []
    for item in list(server.sink.received):
        message = email.message_from_bytes(item.data, policy=email.policy.default)
        if message["Subject"] == subject:
            found.append((item, message))
    return found  # type: ignore[return-value]


def test_the_sender_of_a_held_message_is_told_how_to_release_it(
    server: MailServer,
) -> None:
    sent = server.send(mass_mail(HOLDER, "notice-hold"), HOLDER, CROWD)
    assert sent.returncode == 0, sent.stdout
    wait_for(lambda: len(notices(server, "Held: notice-hold")) == 1)
    ((item, message),) = notices(server, "Held: notice-hold")
    assert item.mail_from in ("", "<>")  # the null sender as aiosmtpd keeps it
    assert item.rcpt_tos == [HOLDER]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["In-Reply-To"] == "<notice-hold@example.com>"
    text = message.get_content()
    held_id = text.split("hold queue as ")[1].split(".")[0]
    assert held_id in server.cli("held", "list").stdout
    assert f"bccguard milter held release {held_id} --bcc" in text
    assert "6 recipients" in text


def test_the_sender_of_a_rejected_message_is_told_to_use_bcc(
    server: MailServer,
) -> None:
    sent = server.send(mass_mail(REJECTER, "notice-reject"), REJECTER, CROWD)
    assert "550 5.7.1" in sent.stdout
    wait_for(lambda: len(notices(server, "Not sent: notice-reject")) == 1)
    ((item, message),) = notices(server, "Not sent: notice-reject")
    assert item.mail_from in ("", "<>")  # the null sender as aiosmtpd keeps it
    assert item.rcpt_tos == [REJECTER]
    assert message["Auto-Submitted"] == "auto-generated"
    assert "recipients in Bcc" in message.get_content()


def test_an_automatic_message_gets_no_notice(server: MailServer) -> None:
    data = mass_mail(REJECTER, "notice-auto").replace(
        b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:"
    )
    sent = server.send(data, REJECTER, CROWD)
    assert "550 5.7.1" in sent.stdout
    # A later notice proves the queue ran past the moment a notice would have come.
    server.send(mass_mail(REJECTER, "notice-after"), REJECTER, CROWD)
    wait_for(lambda: len(notices(server, "Not sent: notice-after")) == 1)
    assert notices(server, "Not sent: notice-auto") == []
