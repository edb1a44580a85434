"""A message as the milter sees it: the envelope, the macros and the header fields.

Postfix sends each header field to the milter with its name and value apart (the
one space after the colon dropped, folds as bare LF); the check reads the header
block back as a message's first bytes, so the same code counts the recipients as
for the desktop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bccguard.core.message import VISIBLE_FIELDS

# RFC 822 tokens, roughly as Postfix's tok822 splits an address header: an atom
# or one special (a quoted string counts per piece: more, never fewer).
_TOKEN = re.compile(rb'[^\s()<>@,;:\\".\[\]]+|[()<>@,;:\\".\[\]]')
# Fields whose every copy the relay form drops (RFC 5322 §3.6.3, §3.6.6).
RECIPIENT_FIELDS = ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc")


def _crlf(value: bytes) -> bytes:
    return value.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


@dataclass(slots=True)
class MessageHead:
    """What one transaction has told the milter so far (reset for each message)."""

    mail_from: str = ""
    recipients: list[str] = field(default_factory=list)
    fields: list[tuple[str, bytes]] = field(default_factory=list)
    size: int = 0  # bytes of the header block as received

    def add_field(self, name: str, value: bytes) -> None:
        """One header field, as Postfix sent it."""
        self.fields.append((name, value))
        self.size += len(name) + 2 + len(value) + 2

    def raw(self) -> bytes:
        """The header block as bytes with CRLF line ends, and the empty line."""
        lines = [
            name.encode("ascii", "replace") + b": " + _crlf(value)
            for name, value in self.fields
        ]
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def longest_recipient_field(self) -> int:
        """Bytes of the longest To/Cc (or Resent-) field."""
        return max(
            (len(v) for n, v in self.fields if n.lower() in VISIBLE_FIELDS), default=0
        )

    def most_recipient_tokens(self) -> int:
        """Address tokens in the To/Cc (or Resent-) field that has most, counted
        as Postfix's header_address_token_limit does (atoms and specials)."""
        return max(
            (
                len(_TOKEN.findall(v))
                for n, v in self.fields
                if n.lower() in VISIBLE_FIELDS
            ),
            default=0,
        )

    def indexes(self, name: str) -> list[int]:
        """The 1-based index of each copy of ``name`` among the fields of that name
        (what ``smfi_chgheader`` counts)."""
        key = name.lower()
        return [
            i + 1 for i, _ in enumerate(n for n, _ in self.fields if n.lower() == key)
        ]

    def first_position(self, names: tuple[str, ...]) -> int | None:
        """The 0-based position of the first field named one of ``names``."""
        for position, (name, _) in enumerate(self.fields):
            if name.lower() in names:
                return position
        return None
