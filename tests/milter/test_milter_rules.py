"""Recipient rules in the milter: mail to an always-Bcc list is converted."""

from __future__ import annotations

from tests.milter.mail_server import HOLDER, MailServer, mail, wait_delivered
from tests.milter.test_postfix_milter import delivered, mass_mail

PARENTS = ["parent0@example.net", "parent1@example.net"]


def test_mail_to_an_always_bcc_list_is_converted_though_the_policy_asks(
    server: MailServer,
) -> None:
    # Two parents: under the threshold (3), and the sender's policy asks; the
    # rule converts it all the same, without holding it.
    before = mail(server.sink)
    held_before = len(server.held())  # the server is shared with other tests
    sent = server.send(mass_mail(HOLDER, "rule-1", PARENTS), HOLDER, PARENTS)
    assert sent.returncode == 0, sent.stdout
    wait_delivered(server.sink, before + 1)
    (message,) = delivered(server, "rule-1")
    assert message["To"] == "Sender <hold@example.com>"
    assert message["Cc"] is None
    assert message["X-BccGuard"].startswith("converted to Bcc")
    assert len(server.held()) == held_before
