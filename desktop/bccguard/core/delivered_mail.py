"""A delivered message as its recipients' mail programs show it, and who saw whom.

The demo outbox keeps what the built-in upstream received: the message and its
envelope. This reads one of them the way a mail program would (decoded headers,
the plain-text body in its charset) and says, for each envelope recipient, which
other people's addresses the message showed them.
"""

from __future__ import annotations

import email.policy
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import AddressHeader
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from bccguard.core.identity import address_key
from bccguard.core.message import read_message


@dataclass(frozen=True, slots=True)
class DeliveredMail:
    """One message the demo upstream received."""

    name: str  # the file's name in the outbox, e.g. "0001"
    received_at: float  # seconds since the epoch
    sender: str  # the From header, rendered: "You <you@example.org>"
    to: tuple[str, ...]  # rendered mailboxes of To
    cc: tuple[str, ...]  # rendered mailboxes of Cc
    subject: str
    date: str  # the Date header in local time, "2026-12-01 09:30", or as written
    body: str  # the plain text a reader sees
    envelope_sender: str
    delivered_to: tuple[str, ...]  # the envelope recipients (RCPT TO)
    shown: tuple[str, ...]  # the addresses in To and Cc, sender's excluded
    source: str  # the message as it arrived, for "show source"

    def could_see(self, recipient: str) -> tuple[str, ...]:
        """The other people's addresses ``recipient`` found in To and Cc."""
        own = address_key(recipient)
        return tuple(a for a in self.shown if address_key(a) != own)

    @property
    def most_seen(self) -> int:
        """How many others' addresses the recipient who saw the most could see."""
        counts = [len(self.could_see(r)) for r in self.delivered_to]
        return max(counts, default=len(self.shown))

    @property
    def exposed(self) -> bool:
        """True when someone saw more than one stranger's address."""
        return self.most_seen > 1


def _mailboxes(message: EmailMessage, name: str) -> tuple[str, ...]:
    rendered: list[str] = []
    for value in message.get_all(name, []):
        if isinstance(value, AddressHeader):
            for group in value.groups:
                if group.display_name is not None and not group.addresses:
                    rendered.append(f"{group.display_name}:;")
                rendered.extend(str(address) for address in group.addresses)
        else:
            rendered.append(str(value))
    return tuple(rendered)


def _local_date(value: str) -> str:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return value
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M")  # no month names: any language


_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>")


def _text_of_html(markup: str) -> str:
    text = _TAG.sub("", _BREAK.sub("\n", markup))
    return re.sub(r"\n{3,}", "\n\n", html.unescape(text)).strip()


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError, KeyError):
        payload = part.get_payload(decode=True)
        content = (
            payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        )
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return _text_of_html(content)
    return content.replace("\r\n", "\n").rstrip("\n")


def read_delivered(
    name: str,
    raw: bytes,
    envelope_sender: str,
    delivered_to: Sequence[str],
    received_at: float,
) -> DeliveredMail:
    """``raw`` as a mail program shows it, with its envelope."""
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    parsed = read_message(raw)
    senders = {a.key for a in parsed.senders}
    shown = tuple(a.addr for a in parsed.visible if a.key not in senders)
    return DeliveredMail(
        name=name,
        received_at=received_at,
        sender=", ".join(_mailboxes(message, "from")),
        to=_mailboxes(message, "to"),
        cc=_mailboxes(message, "cc"),
        subject=str(message.get("subject", "")),
        date=_local_date(str(message.get("date", ""))),
        body=_body(message),
        envelope_sender=envelope_sender,
        delivered_to=tuple(delivered_to),
        shown=shown,
        source=raw.decode("utf-8", "replace"),
    )
