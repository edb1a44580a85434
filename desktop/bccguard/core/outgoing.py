"""The form in which a message may leave BccGuard for a server, on every path.

No Bcc field: RFC 5322 §3.6.3 leaves its removal to the sender, and a Bcc (or
Resent-Bcc, §3.6.6) field that travels shows every blind recipient to all the
others — the very mistake BccGuard exists to prevent. The envelope carries the
recipients. The held copy keeps the field for the record.

Line ends only CRLF: RFC 5321 §2.3.8 forbids a bare CR or LF, and a server that
reads one as a line end where another does not can be made to see a different end
of the message (the SMTP smuggling advisories of December 2023).
"""

from __future__ import annotations

import re

from bccguard.core.header_block import parse_header_block, without_fields

BLIND_FIELDS = ("bcc", "resent-bcc")
_BARE_LINE_END = re.compile(rb"\r\n|\r|\n")


def outgoing_form(raw: bytes) -> bytes:
    """``raw`` as it may be relayed: no blind-copy field, CRLF line ends only."""
    data = crlf_only(raw)
    block = parse_header_block(data)
    for name in BLIND_FIELDS:
        if block.all(name):
            data = without_fields(data, block, name)
            block = parse_header_block(data)
    return data


def crlf_only(data: bytes) -> bytes:
    """Every bare CR and bare LF made a CRLF; clean data is returned as it is."""
    crlf = data.count(b"\r\n")
    if data.count(b"\n") == crlf and data.count(b"\r") == crlf:
        return data
    return _BARE_LINE_END.sub(b"\r\n", data)
