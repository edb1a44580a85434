"""Turning what a user pastes into the check window into a message to check."""

from __future__ import annotations

import re

_HEADER_LINE = re.compile(r"^[!-9;-~]+[ \t]*:", re.MULTILINE)
_ADDRESS_FIELDS = re.compile(r"^(to|cc|bcc|from)[ \t]*:", re.IGNORECASE | re.MULTILINE)


def message_from_paste(text: str) -> bytes:
    """Pasted headers (or a whole message) as they are; a bare address list as To.

    A paste counts as headers when it has a To/Cc/Bcc/From line; anything else is
    read as a list of addresses separated by commas, semicolons or new lines.
    """
    text = text.strip("\r\n")
    if _ADDRESS_FIELDS.search(text) and _HEADER_LINE.match(text):
        return (text + "\n").encode("utf-8")
    items = [part.strip() for part in re.split(r"[\r\n]+", text) if part.strip()]
    return ("To: " + ",\n ".join(items) + "\n\n").encode("utf-8")
