"""The top-level header block of a raw message: its fields, in order, with byte offsets.

Only the header block is read: the body (and any message attached inside it) is never
parsed, so a 25 MB message costs no more than its headers.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from bccguard.core.phrase import Phrase

# RFC 5322 §3.6.8 allows any printable US-ASCII but the colon in a field name; real
# names are tokens, so an unfolded ``<@relay:a@x>`` is read as the To it continues.
# §4.5.3 (obsolete syntax) allows white space before the colon.
_CHUNK = 64 * 1024
_FIELD_START = re.compile(rb"([A-Za-z0-9!#$%&'*+.^_`|~-]+)[ \t]*:")
# A bare CR ends a line too (old Mac files): otherwise a whole header is one field.
_NEWLINE = re.compile(rb"\r\n|\n|\r")
_BLANK_LINE = re.compile(rb"(?:\r\n|\n|\r(?!\n))(?:\r\n|\n|\r(?!\n))")
# Editors that save a message as UTF-8 may put a byte order mark before its first
# field; mail programs that read the file skip it, and so does the check.
_BOM = b"\xef\xbb\xbf"


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
        if not self.repaired:  # every line break is followed by white space
            value = self.raw_value.replace(b"\r\n", b"").replace(b"\n", b"")
            return value.replace(b"\r", b"").strip()
        value = re.sub(rb"(?:\r\n|\n|\r)(?=[ \t])", b"", self.raw_value)
        return _NEWLINE.sub(b" ", value).strip()


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


# Where a line starts that is not a folded continuation: the start of a field (or of
# the empty line, or of a malformed line). Continuation lines are skipped in C.
_UNFOLDED_LINE = re.compile(rb"(?:\r\n|\n|\r(?!\n))(?![ \t])")


def _logical_lines(raw: bytes, pos: int = 0) -> Iterator[tuple[int, int, int]]:
    """Yield (start, first_line_end, end) of each line with its continuations.

    ``first_line_end`` is where the first physical line's text ends (before its line
    break); ``end`` is where the next unfolded line starts. Lines start at ``pos``.
    """
    size = len(raw)
    search = _NEWLINE.search
    for match in _UNFOLDED_LINE.finditer(raw, pos):
        first = search(raw, pos)
        yield pos, first.start() if first else size, match.end()
        pos = match.end()
    if pos < size:
        first = search(raw, pos)
        yield pos, first.start() if first else size, size


def find_body_offset(raw: bytes) -> int | None:
    """Where the body starts (after the first empty line), or None if not yet seen.

    Cheap enough to call on a growing buffer while reading a message from a stream.
    """
    first = _NEWLINE.match(raw)
    if first is not None:
        return first.end()
    match = _BLANK_LINE.search(raw)
    return None if match is None else match.end()


def _newline(head: bytes) -> bytes:
    """The line ending the message uses: CRLF, LF or (old Mac) CR."""
    if b"\r\n" in head:
        return b"\r\n"
    if b"\r" in head and b"\n" not in head:
        return b"\r"
    return b"\n"


def _line_number(raw: bytes, offset: int) -> int:
    """The 1-based physical line at ``offset`` (for problems; not a hot path)."""
    return len(_NEWLINE.findall(raw, 0, offset)) + 1


def parse_header_block(raw: bytes) -> HeaderBlock:
    """Split ``raw`` into header fields, leniently.

    A line that is neither a field nor a continuation is kept as part of the field
    before it (as many mail programs read it) and reported, so that an address on a
    badly folded line is still counted.
    """
    fields: list[HeaderField] = []
    problems: list[str] = []
    # name, start, value_start, repaired
    current: tuple[str, int, int, bool] | None = None
    body_offset = len(raw)
    has_separator = False
    newline = _newline(raw[:4096])
    begin = len(_BOM) if raw.startswith(_BOM) else 0

    def close(end: int) -> None:
        if current is not None:
            name, start, value_start, repaired = current
            fields.append(HeaderField(name, raw[value_start:end], start, end, repaired))

    for start, first_end, _end in _logical_lines(raw, begin):
        content = raw[start:first_end]
        if not content:
            close(start)
            current = None
            newline_end = _NEWLINE.match(raw, first_end)
            body_offset = newline_end.end() if newline_end else first_end
            has_separator = True
            break
        if content[:1] in (b" ", b"\t"):
            line_no = _line_number(raw, start)
            problems.append(
                Phrase("header line {line} is a continuation of nothing", line=line_no)
            )
            continue
        match = _FIELD_START.match(content)
        if match is not None:
            close(start)
            name = match.group(1).decode("ascii")
            current = (name, start, start + match.end(), False)
        elif start == begin and content.startswith(b"From "):
            pass  # an mbox separator line, not a header
        elif current is None:
            line_no = _line_number(raw, start)
            problems.append(
                Phrase("header line {line} is not a header field", line=line_no)
            )
        else:
            line_no = _line_number(raw, start)
            problems.append(
                Phrase(
                    "header line {line} is not a header field; read as part of {field}",
                    line=line_no,
                    field=current[0],
                )
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


def read_header_part(stream: BinaryIO) -> bytes:
    """Read only as far as the end of the header block (the body is never loaded)."""
    data = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return bytes(data)
        scan_from = max(0, len(data) - 3)
        data += chunk
        if find_body_offset(bytes(data[scan_from:])) is not None:
            return bytes(data)


def without_fields(raw: bytes, block: HeaderBlock, name: str) -> bytes:
    """``raw`` with every copy of the field ``name`` removed (nothing else changes)."""
    drop = block.all(name)
    if not drop:
        return raw
    parts = []
    pos = 0
    for header_field in drop:
        parts.append(raw[pos : header_field.start])
        pos = header_field.end
    parts.append(raw[pos:])
    return b"".join(parts)


class UnterminatedHeader(ValueError):
    """New fields would go after a last header field that has no line break."""


def replace_fields(
    raw: bytes, block: HeaderBlock, names: Collection[str], new_fields: bytes
) -> bytes:
    """``raw`` without the fields whose key is in ``names``, ``new_fields`` where
    the first of them stood (else after the last field); every other byte stays.

    Raises:
        UnterminatedHeader: none of them was there and the last field does not end
            with a line break, so the new fields cannot follow it.
    """
    parts: list[bytes] = []
    pos = 0
    inserted = False
    for header_field in block.fields:
        if header_field.key not in names:
            continue
        parts.append(raw[pos : header_field.start])
        if not inserted:
            parts.append(new_fields)
            inserted = True
        pos = header_field.end
    if not inserted:
        end = block.fields[-1].end if block.fields else 0
        if end and raw[end - 1 : end] not in (b"\n", b"\r"):
            raise UnterminatedHeader("the header block does not end with a line break")
        parts.append(raw[pos:end])
        parts.append(new_fields)
        pos = end
    parts.append(raw[pos:])
    return b"".join(parts)
