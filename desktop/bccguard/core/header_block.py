"""The top-level header block of a raw message: its fields, in order, with byte offsets.

Only the header block is read: the body (and any message attached inside it) is never
parsed, so a 25 MB message costs no more than its headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# RFC 5322 §3.6.8: a field name is printable US-ASCII except the colon; §4.5.3 (obsolete
# syntax) allows white space before the colon.
_FIELD_START = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")


@dataclass(frozen=True, slots=True)
class HeaderField:
    """One header field as it stands in the message."""

    name: str
    raw_value: bytes
    start: int
    end: int
    repaired: bool = False

    @property
    def key(self) -> str:
        """The case-folded field name, for look-ups."""
        return self.name.lower()

    def unfolded(self) -> bytes:
        """The value with folding removed (RFC 5322 §2.2.3)."""
        value = re.sub(rb"\r?\n(?=[ \t])", b"", self.raw_value)
        return re.sub(rb"\r?\n", b" ", value).strip()


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """The fields of the top-level header block and where the body begins."""

    fields: tuple[HeaderField, ...]
    body_offset: int
    has_separator: bool
    newline: bytes
    problems: tuple[str, ...]

    def all(self, name: str) -> list[HeaderField]:
        """Every copy of the field ``name`` (case-insensitive), in order."""
        key = name.lower()
        return [f for f in self.fields if f.key == key]

    def first_text(self, name: str) -> str:
        """The first copy of ``name`` as text, or "" when absent."""
        found = self.all(name)
        if not found:
            return ""
        return found[0].unfolded().decode("utf-8", "replace").strip()


def _lines(raw: bytes) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each line including its line ending."""
    pos = 0
    size = len(raw)
    while pos < size:
        nl = raw.find(b"\n", pos)
        end = size if nl < 0 else nl + 1
        yield pos, end
        pos = end


def find_body_offset(raw: bytes) -> int | None:
    """Where the body starts (after the first empty line), or None if not yet seen.

    Cheap enough to call on a growing buffer while reading a message from a stream.
    """
    if raw.startswith((b"\r\n", b"\n")):
        return 2 if raw.startswith(b"\r\n") else 1
    match = re.search(rb"\n\r?\n", raw)
    return None if match is None else match.end()


def parse_header_block(raw: bytes) -> HeaderBlock:
    """Split ``raw`` into header fields, leniently.

    A line that is neither a field nor a continuation is kept as part of the field
    before it (as many mail programs read it) and reported, so that an address on a
    badly folded line is still counted.
    """
    fields: list[HeaderField] = []
    problems: list[str] = []
    current: tuple[str, int, int, bool] | None = None  # name, start, value_start, repaired
    body_offset = len(raw)
    has_separator = False
    newline = b"\r\n" if b"\r\n" in raw[:4096] else b"\n"
    line_no = 0

    def close(end: int) -> None:
        if current is not None:
            name, start, value_start, repaired = current
            fields.append(HeaderField(name, raw[value_start:end], start, end, repaired))

    for start, end in _lines(raw):
        line_no += 1
        content = raw[start:end].rstrip(b"\r\n")
        if not content:
            close(start)
            current = None
            body_offset = end
            has_separator = True
            break
        if content[:1] in (b" ", b"\t"):
            if current is None:
                problems.append(f"header line {line_no} is a continuation of nothing")
            continue
        match = _FIELD_START.match(content)
        if match is not None:
            close(start)
            name = match.group(1).decode("ascii")
            current = (name, start, start + match.end(), False)
            continue
        if line_no == 1 and content.startswith(b"From "):
            continue  # an mbox separator line, not a header
        if current is None:
            problems.append(f"header line {line_no} is not a header field")
            continue
        problems.append(
            f"header line {line_no} is not a header field; read as part of {current[0]}"
        )
        current = (current[0], current[1], current[2], True)
    else:
        close(len(raw))
    return HeaderBlock(
        fields=tuple(fields),
        body_offset=body_offset,
        has_separator=has_separator,
        newline=newline,
        problems=tuple(problems),
    )
