"""The notice a sender gets when the mail server held or rejected a message.

RFC 3834: an automatic message goes with a null envelope sender (no bounce can
loop back) and ``Auto-Submitted: auto-generated``, and none is sent in reply to
a message that is itself automatic, nor to a null sender. The milter lets such
a notice through unchecked: it is addressed to one person.
"""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP

from bccguard.milter.message_head import MessageHead
from bccguard.milter.postfix_queue import PostfixQueue, QueueError

log = logging.getLogger(__name__)

AUTO_SUBMITTED = "Auto-Submitted"


def is_automatic(head: MessageHead) -> bool:
    """True for a message RFC 3834 says must not be answered automatically."""
    for name, value in head.fields:
        if name.lower() == AUTO_SUBMITTED.lower():
            return value.strip().lower() != b"no"
    return False


def is_notice(head: MessageHead) -> bool:
    """True for a notice like the ones this module sends (null sender, automatic)."""
    return head.mail_from == "" and is_automatic(head)


@dataclass(frozen=True, slots=True)
class Notice:
    """What happened to one message, for its sender."""

    sender: str
    subject: str
    message_id: str
    recipients: int
    reason: str
    held_id: str = ""  # empty: rejected


def notice_message(notice: Notice) -> bytes:
    """The notice as a message (plain text, UTF-8)."""
    domain = notice.sender.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = f"BccGuard <MAILER-DAEMON@{domain}>"
    message["To"] = notice.sender
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid("bccguard-notice", domain)
    message[AUTO_SUBMITTED] = "auto-generated"
    if notice.message_id:
        message["In-Reply-To"] = notice.message_id
        message["References"] = notice.message_id
    subject = notice.subject or "(no subject)"
    if notice.held_id:
        message["Subject"] = f"Held: {subject}"
        body = (
            f'Your message "{subject}" to {notice.recipients} recipients has not '
            "been sent yet: the mail server's BccGuard held it, because\n"
            f"{notice.reason}.\n\n"
            f"It waits in the mail server's hold queue as {notice.held_id}. To "
            "have it sent, ask your mail administrator to release it converted "
            "to Bcc (nobody then sees the others' addresses), or as it is if "
            "everyone may see everyone's address:\n\n"
            f"    bccguard milter held release {notice.held_id} --bcc\n"
            f"    bccguard milter held release {notice.held_id} --as-is\n\n"
            "Or ask them to discard it and send it again with the recipients in "
            "Bcc.\n"
        )
    else:
        message["Subject"] = f"Not sent: {subject}"
        body = (
            f'Your message "{subject}" to {notice.recipients} recipients was '
            "not sent: the mail server's BccGuard refused it, because\n"
            f"{notice.reason}.\n\n"
            "Send it again with the recipients in Bcc, so that nobody sees the "
            "others' addresses.\n"
        )
    message.set_content(body + "\n-- \nBccGuard on your organisation's mail server\n")
    return message.as_bytes(policy=SMTP)


def send_notice(queue: PostfixQueue, notice: Notice) -> None:
    """Queue the notice with a null sender; a failure is logged, never raised."""
    if not notice.sender:
        return
    try:
        queue.inject("", [notice.sender], notice_message(notice))
    except QueueError:
        log.warning("could not send the notice to the sender", exc_info=True)
