"""Tests for splitting the top-level header block into fields."""

from __future__ import annotations

import pytest

from bccguard.core.header_block import find_body_offset, parse_header_block


def test_fields_offsets_and_body() -> None:
    raw = b"From: a@x.com\r\nTo: b@y.com,\r\n c@z.com\r\n\r\nbody\r\n"
    block = parse_header_block(raw)
    assert [f.name for f in block.fields] == ["From", "To"]
    assert block.fields[1].unfolded() == b"b@y.com, c@z.com"
    assert raw[block.fields[1].start : block.fields[1].end].startswith(b"To:")
    assert raw[block.body_offset :] == b"body\r\n"
    assert block.has_separator
    assert block.newline == b"\r\n"
    assert not block.problems


def test_unfolded_line_is_kept_with_the_field_before_it() -> None:
    block = parse_header_block(b"To: a@x.com,\nb@y.com\nSubject: s\n\n")
    assert block.all("to")[0].unfolded() == b"a@x.com, b@y.com"
    assert block.all("to")[0].repaired
    assert block.problems == (
        "header line 2 is not a header field; read as part of To",
    )


@pytest.mark.parametrize("line", [b"<@relay.example:b@y.com>", b"Bob <b@y.com>: x"])
def test_unfolded_line_with_a_colon_is_not_a_new_field(line: bytes) -> None:
    # Header names never hold <, @ or spaces: such a line continues To.
    block = parse_header_block(b"To: a@x.com,\n" + line + b"\n\n")
    assert [f.name for f in block.fields] == ["To"]
    assert block.fields[0].repaired


def test_bare_cr_line_endings_are_line_endings() -> None:
    raw = b"From: me@a.com\rTo: a@x.com,\r b@y.com\rSubject: s\r\rbody\r"
    block = parse_header_block(raw)
    assert [f.name for f in block.fields] == ["From", "To", "Subject"]
    assert block.all("to")[0].unfolded() == b"a@x.com, b@y.com"
    assert raw[block.body_offset :] == b"body\r"
    assert block.newline == b"\r"


def test_mbox_from_line_and_missing_separator() -> None:
    block = parse_header_block(b"From someone Mon Jan 1\nTo: a@x.com\n")
    assert [f.name for f in block.fields] == ["To"]
    assert not block.has_separator
    assert block.body_offset == len(b"From someone Mon Jan 1\nTo: a@x.com\n")


def test_empty_input() -> None:
    block = parse_header_block(b"")
    assert block.fields == ()
    assert not block.has_separator


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        (b"To: a\n\nbody", 7),
        (b"To: a\r\n\r\nbody", 9),
        (b"To: a\r\rbody", 7),
        (b"\r\nbody", 2),
        (b"To: a\r\n", None),
    ],
)
def test_find_body_offset(raw: bytes, offset: int | None) -> None:
    assert find_body_offset(raw) == offset
