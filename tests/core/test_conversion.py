"""Conversion to Bcc: golden draft forms, the relay form, and what must never change."""

from __future__ import annotations

from pathlib import Path

import pytest

from bccguard.core.bcc_conversion import (
    UNDISCLOSED,
    ConversionError,
    ToStyle,
    fold_field,
    to_draft_bcc,
    to_relay_form,
)
from bccguard.core.header_block import parse_header_block
from bccguard.core.message import read_message
from tests.core.corpus import CORPUS, run_cli

GOLDEN = sorted(
    p.name.removesuffix(".expected.eml") for p in CORPUS.glob("*.expected.eml")
)
RECIPIENT_FIELDS = {"to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"}


def other_fields(raw: bytes) -> list[bytes]:
    """Every header field but To/Cc/Bcc (and Resent-), byte for byte, in order."""
    block = parse_header_block(raw)
    return [raw[f.start : f.end] for f in block.fields if f.key not in RECIPIENT_FIELDS]


def body(raw: bytes) -> bytes:
    return raw[parse_header_block(raw).body_offset :]


def keys(raw: bytes, *fields: str) -> set[str]:
    """The recipients' keys: addresses only shown in names are not recipients."""
    message = read_message(raw)
    found = {a.key for a in message.visible} if "visible" in fields else set()
    if "hidden" in fields:
        found |= {a.key for a in message.hidden}
    shown_only = {a.key for a in (*message.visible, *message.hidden) if not a.recipient}
    return found - shown_only


def expected_to(raw: bytes) -> list[str]:
    """What To becomes: the one sender, else the empty group."""
    senders = read_message(raw).senders
    return [senders[0].key] if len(senders) == 1 else []


def source(name: str) -> bytes:
    return (CORPUS / f"{name}.eml").read_bytes()


def test_there_are_enough_goldens() -> None:
    assert len(GOLDEN) >= 10


@pytest.mark.parametrize("name", GOLDEN)
def test_draft_form_matches_golden(name: str) -> None:
    expected = (CORPUS / f"{name}.expected.eml").read_bytes()
    assert to_draft_bcc(source(name)) == expected


@pytest.mark.parametrize("name", GOLDEN)
def test_draft_form_moves_everyone_to_bcc_and_keeps_the_rest(name: str) -> None:
    raw = source(name)
    converted = to_draft_bcc(raw)
    before = read_message(raw)
    after = read_message(converted)
    # To is the sender alone; Cc is gone; every recipient is in Bcc.
    assert [a.key for a in after.visible] == expected_to(raw)
    block = parse_header_block(converted)
    for field in ("cc", "resent-to", "resent-cc", "resent-bcc"):
        assert block.all(field) == []
    assert len(block.all("bcc")) == 1
    assert keys(raw, "visible", "hidden") <= {a.key for a in after.hidden} | {
        a.key for a in before.senders
    }
    assert not after.doubtful
    # Nothing else changes: body, attachments, other fields, line endings.
    assert body(converted) == body(raw)
    assert other_fields(converted) == other_fields(raw)
    assert parse_header_block(converted).newline == parse_header_block(raw).newline


@pytest.mark.parametrize("name", GOLDEN)
def test_relay_form_writes_no_bcc(name: str) -> None:
    raw = source(name)
    converted = to_relay_form(raw)
    block = parse_header_block(converted)
    senders = read_message(raw).senders
    for field in ("bcc", "cc", "resent-to", "resent-cc", "resent-bcc"):
        assert block.all(field) == []
    to = senders[0].header_text() if len(senders) == 1 else UNDISCLOSED
    assert [f.unfolded().decode() for f in block.all("to")] == [to]
    assert body(converted) == body(raw)
    assert other_fields(converted) == other_fields(raw)


def test_relay_form_drops_a_draft_bcc() -> None:
    raw = source("newsletter-bcc-done-right")
    converted = to_relay_form(raw)
    assert b"Bcc:" not in converted[: parse_header_block(converted).body_offset]
    assert body(converted) == body(raw)


def test_draft_form_keeps_existing_bcc_recipients() -> None:
    raw = source("newsletter-bcc-done-right")
    after = read_message(to_draft_bcc(raw))
    assert [a.addr for a in after.visible] == ["office@club.example"]
    assert len(after.hidden) == 120
    assert keys(raw, "hidden") == {a.key for a in after.hidden}


def test_undisclosed_style() -> None:
    raw = source("outlook-semicolons")
    converted = to_draft_bcc(raw, ToStyle.UNDISCLOSED)
    block = parse_header_block(converted)
    assert [f.unfolded() for f in block.all("to")] == [UNDISCLOSED.encode()]
    assert read_message(converted).visible == ()
    assert len(read_message(converted).hidden) == 5


def test_two_senders_give_undisclosed_to() -> None:
    # From and Sender differ: there is no single sender to put in To.
    converted = to_draft_bcc(source("mailing-list-post"))
    assert b"\nTo: undisclosed-recipients:;\n" in converted
    assert body(converted) == body(source("mailing-list-post"))


@pytest.mark.parametrize(
    "name",
    [
        "stray-brackets",
        "unterminated-quote",
        "unterminated-quote-swallows",
        "unterminated-comment",
        "missing-commas",
        "bad-folding",
        "nul-bytes-in-to",
        "binary-junk-in-to",
        "display-name-is-another-address",
        "encoded-name-holds-addresses",
    ],
)
def test_uncertain_counts_convert_when_the_recipients_can_be_moved(name: str) -> None:
    # Moving everyone to Bcc needs no exact count: every recipient found moves.
    raw = source(name)
    before = read_message(raw)
    assert before.doubtful
    converted = to_draft_bcc(raw)
    after = read_message(converted)
    assert [a.key for a in after.visible] == expected_to(raw)
    assert keys(raw, "visible") <= {a.key for a in after.hidden}
    assert not after.doubtful, [p.text for p in after.problems]
    assert body(converted) == body(raw)
    assert other_fields(converted) == other_fields(raw)


def test_an_address_only_shown_in_a_name_never_becomes_a_recipient() -> None:
    # "carol@evil.example" <dan@good.example>: carol is a name, and an attacker's
    # name must not turn into a Bcc copy.
    after = read_message(to_draft_bcc(source("display-name-is-another-address")))
    assert "carol@evil.example" not in {a.addr for a in after.hidden}
    assert "dan@good.example" in {a.addr for a in after.hidden}


def test_text_a_broken_list_may_have_swallowed_moves_too() -> None:
    # A stray quote made a@ and b@ part of a display name: they may be recipients.
    after = read_message(to_draft_bcc(source("unterminated-quote-swallows")))
    assert {"a@acme.com", "b@globex.com", "c@initech.com"} <= {
        a.addr for a in after.hidden
    }


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b'From: a@x.com\r\nTo: "\x00\xff\xfe garbage\r\n\r\nbody\r\n', "To"),
        (b'From: a@x.com\r\nTo: "p@x.example, q@y.example"\r\n\r\n', "To"),
        (source("encoded-words-bare-addresses"), "To"),
        (source("encoded-words-everywhere"), "in Cc"),  # only a bare word
        (source("latin1-bytes-in-to"), "not UTF-8"),
        (source("not-a-message-binary"), "not a message"),
        (b"", "not a message"),
    ],
    ids=[
        "junk",
        "quoted-text",
        "bare-encoded-words",
        "cc-of-bare-words",
        "latin1",
        "binary",
        "empty",
    ],
)
def test_recipients_that_cannot_be_found_are_not_converted(
    raw: bytes, why: str
) -> None:
    with pytest.raises(ConversionError, match=why):
        to_draft_bcc(raw)


def test_message_without_recipient_fields_gets_them_at_the_header_end() -> None:
    raw = b"From: a@x.com\r\nSubject: s\r\n\r\nbody\r\n"
    converted = to_draft_bcc(raw)
    assert converted == b"From: a@x.com\r\nSubject: s\r\nTo: a@x.com\r\n\r\nbody\r\n"


def test_header_block_without_final_line_break_is_refused() -> None:
    with pytest.raises(ConversionError, match="line break"):
        to_draft_bcc(b"From: a@x.com\nSubject: s")


def test_fold_field_stays_near_78_columns() -> None:
    items = [f"person{i}@example.com" for i in range(20)]
    folded = fold_field("Bcc", items, b"\n")
    lines = folded.decode().splitlines()
    assert all(len(line) <= 78 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    assert folded.endswith(b"\n")
    assert "".join(lines).replace(" ", "") == "Bcc:" + ",".join(items)


def test_cli_convert_matches_golden(tmp_path: Path) -> None:
    name = "outlook-semicolons"
    expected = (CORPUS / f"{name}.expected.eml").read_bytes()
    done = run_cli("convert", str(CORPUS / f"{name}.eml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
    out = tmp_path / "out.eml"
    done = run_cli("convert", str(CORPUS / f"{name}.eml"), "-o", str(out))
    assert done.returncode == 0
    assert out.read_bytes() == expected
