"""One copy per recipient: only that person in To, a Message-ID of its own, every
other byte as it was; the greeting by first name through any transfer encoding."""

from __future__ import annotations

import base64
import email
import quopri
from email.policy import default
from html import escape as html_escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bccguard.core.address_list import Address, parse_address_list
from bccguard.core.header_block import parse_header_block
from bccguard.core.individual_copies import (
    CopyError,
    Greeting,
    copy_for,
    copy_message_id,
    first_name,
    greet,
    has_placeholder,
    recipients_of,
    to_text,
)
from bccguard.core.message import read_message

names = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=("L", "Zs", "Pd", "Po"), exclude_characters='"\\'
    ),
    max_size=24,
)
locals_ = st.from_regex(r"[a-z][a-z0-9._-]{0,10}[a-z0-9]", fullmatch=True)
people = st.lists(
    st.tuples(names, locals_), min_size=1, max_size=12, unique_by=lambda p: p[1]
)


def _mailbox(name: str, local: str) -> tuple[str, str]:
    addr = f"{local}@x{len(local)}.test"
    shown = name.strip()
    if not shown:
        return addr, addr
    if shown.isascii():
        return addr, f'"{shown}" <{addr}>'
    encoded = base64.b64encode(shown.encode()).decode()
    return addr, f"=?utf-8?b?{encoded}?= <{addr}>"


def _message(
    mailboxes: list[str], body: bytes, *, extra: bytes = b"", cc: str = ""
) -> bytes:
    head = (
        b"Received: from a by b; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        b"From: Me <me@sender.test>\r\n"
        + b"To: "
        + ",\r\n ".join(mailboxes).encode()
        + b"\r\n"
        + (b"Cc: " + cc.encode() + b"\r\n" if cc else b"")
        + b"Bcc: hidden@x.test\r\n"
        b"Subject: =?utf-8?q?Auguri?=\r\n"
        b"Message-ID: <orig-1@sender.test>\r\n"
        b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n" + extra
    )
    return head + b"\r\n" + body


def _others(raw: bytes) -> list[bytes]:
    """The header fields a copy keeps, as bytes, in order."""
    block = parse_header_block(raw)
    dropped = {"to", "cc", "bcc", "message-id", "resent-to", "resent-cc"}
    return [raw[f.start : f.end] for f in block.fields if f.key not in dropped]


@settings(max_examples=150, deadline=None)
@given(people=people, run=st.text(min_size=1, max_size=8))
def test_each_copy_is_addressed_to_its_recipient_alone_and_keeps_every_other_byte(
    people: list[tuple[str, str]], run: str
) -> None:
    boxes = [_mailbox(n, local) for n, local in people]
    body = b"Hello,\r\n\r\n.a line\r\nbye\r\n"
    raw = _message([b for _, b in boxes], body, cc="cc@x.test")
    envelope = [a for a, _ in boxes] + ["cc@x.test", "hidden@x.test"]
    recipients = recipients_of(raw, envelope)
    assert [r.addr for r in recipients] == envelope
    ids = set()
    for person in recipients:
        copy = copy_for(raw, person, run=run)
        message = read_message(copy)
        assert [a.key for a in message.visible] == [person.key]
        assert message.hidden == ()
        assert copy.endswith(b"\r\n\r\n" + body)
        assert _others(copy) == _others(raw)
        assert copy == copy_for(raw, person, run=run)  # the same after a crash
        ids.add(message.message_id)
    assert len(ids) == len(recipients)
    assert "<orig-1@sender.test>" not in ids


def test_the_display_name_is_kept_as_written() -> None:
    raw = _message(
        ['"Rossi, Mario" <mario@x.test>', "=?utf-8?q?Zo=C3=AB?= <zoe@x.test>"],
        b"hi\r\n",
    )
    mario, zoe = recipients_of(raw, ["mario@x.test", "zoe@x.test"])
    assert b'\r\nTo: "Rossi, Mario" <mario@x.test>\r\n' in copy_for(raw, mario, run="r")
    assert b"\r\nTo: =?utf-8?q?Zo=C3=AB?= <zoe@x.test>\r\n" in copy_for(
        raw, zoe, run="r"
    )


def test_a_name_that_shows_another_address_is_not_written() -> None:
    fake = Address("dan@good.test", "carol@evil.test", '"carol@evil.test" <dan@good>')
    assert to_text(fake) == "dan@good.test"
    plain = Address("zoe@x.test", "Zoë K")
    assert to_text(plain).startswith("=?utf-8?")
    parsed = parse_address_list(to_text(plain)).addresses
    assert [a.name for a in parsed] == ["Zoë K"]


def test_message_ids_belong_to_the_run_and_the_recipient() -> None:
    one = copy_message_id("run-1", "a@x.test", "sender.test")
    assert one == copy_message_id("run-1", "A@X.TEST", "sender.test")
    assert one != copy_message_id("run-2", "a@x.test", "sender.test")
    assert one != copy_message_id("run-1", "b@x.test", "sender.test")
    assert one.endswith("@sender.test>")


def test_input_that_is_not_a_message_is_refused() -> None:
    with pytest.raises(CopyError, match="not a message"):
        copy_for(b"", Address("a@x.test"), run="r")


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Mario Rossi", "Mario"),
        ("Rossi, Mario", "Mario"),
        ("'Rossi, Mario'", "Mario"),
        ("ROSSI Mario", "Mario"),
        ("MARIO ROSSI", "Mario"),
        ("mario rossi", "Mario"),
        ("Dr. Anna Bianchi", "Anna"),
        ("Sig.ra Lucia Neri", "Lucia"),
        ("Jean-Luc Picard", "Jean-Luc"),
        ("Zoë", "Zoë"),
        ("mario.rossi@x.test", ""),
        ("", ""),
        ("   ", ""),
        ("1234", ""),
        ("Dr.", ""),
    ],
)
def test_first_names(name: str, first: str) -> None:
    assert first_name(name) == first


@given(st.text(max_size=40))
def test_first_name_is_one_word_with_a_letter_or_nothing(name: str) -> None:
    found = first_name(name)
    assert found == "" or (found.strip() == found and " " not in found)
    assert found == "" or any(c.isalpha() for c in found)


def _decoded_texts(raw: bytes) -> list[str]:
    message = email.message_from_bytes(raw, policy=default)
    return [
        part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    ]


def _part(subtype: str, charset: str, encoding: str, text: str) -> bytes:
    data = text.encode(charset)
    if encoding == "base64":
        payload = base64.encodebytes(data).replace(b"\n", b"\r\n")
    elif encoding == "quoted-printable":
        payload = quopri.encodestring(data).replace(b"\n", b"\r\n")
    else:
        payload = data.replace(b"\n", b"\r\n")
    return (
        f"Content-Type: text/{subtype}; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode() + payload


encodings = st.sampled_from(["7bit", "8bit", "quoted-printable", "base64"])
charsets = st.sampled_from(["us-ascii", "utf-8", "iso-8859-1"])


@settings(max_examples=120, deadline=None)
@given(
    name=names,
    fallback=st.sampled_from(["", "friend", "amica"]),
    plain=st.tuples(charsets, encodings),
    html=st.tuples(charsets, encodings),
)
def test_the_greeting_reaches_every_text_part_in_any_encoding(
    name: str, fallback: str, plain: tuple[str, str], html: tuple[str, str]
) -> None:
    text = "Dear {first_name},\nsee you.\n"
    page = "<p>Dear {first_name},</p>\n"
    body = (
        b"--BOUNDARY\r\n"
        + _part("plain", plain[0], plain[1], text)
        + b"\r\n--BOUNDARY\r\n"
        + _part("html", html[0], html[1], page)
        + b"\r\n--BOUNDARY--\r\n"
    )
    extra = (
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="BOUNDARY"\r\n'
    )
    addr, box = _mailbox(name, "someone")
    raw = _message([box], body, extra=extra)
    (person,) = recipients_of(raw, [addr])
    copy = copy_for(raw, person, run="r", greeting=Greeting(fallback))
    shown = first_name(person.name) or fallback
    got = _decoded_texts(copy)
    assert got[0].replace("\r\n", "\n") == text.replace("{first_name}", shown)
    assert html_escape(shown) in got[1]
    assert "{first_name}" not in "".join(got)
    assert _others(copy) == _others(raw)


def test_the_placeholder_is_found_in_any_transfer_encoding() -> None:
    extra = b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n'
    for encoding in ("7bit", "quoted-printable", "base64"):
        part = _part("plain", "utf-8", encoding, "Caro {first_name},\nciao\n")
        raw = _message(["a@x.test"], b"--B\r\n" + part + b"--B--\r\n", extra=extra)
        assert has_placeholder(raw), encoding
        plain = _part("plain", "utf-8", encoding, "Cari tutti,\nciao\n")
        raw = _message(["a@x.test"], b"--B\r\n" + plain + b"--B--\r\n", extra=extra)
        assert not has_placeholder(raw), encoding


def test_a_body_without_the_placeholder_is_kept_byte_for_byte() -> None:
    body = (
        b"--B\r\n" + _part("plain", "utf-8", "base64", "Ciao a tutti\n") + b"--B--\r\n"
    )
    extra = b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n'
    raw = _message(["a@x.test", "b@x.test"], body, extra=extra)
    assert greet(raw, "Mario") is raw
    (person, _) = recipients_of(raw, ["a@x.test", "b@x.test"])
    assert copy_for(raw, person, run="r", greeting=Greeting("x")).endswith(body)


def test_a_name_that_needs_another_charset_changes_only_the_part_header() -> None:
    body = b"Caro {first_name},\r\nauguri.\r\n"
    extra = b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
    raw = _message(["=?utf-8?q?Zo=C3=AB?= <zoe@x.test>"], body, extra=extra)
    (zoe,) = recipients_of(raw, ["zoe@x.test"])
    copy = copy_for(raw, zoe, run="r", greeting=Greeting(""))
    assert _decoded_texts(copy) == ["Caro Zoë,\r\nauguri.\r\n"]
    kept = [f for f in _others(raw) if not f.lower().startswith(b"content-")]
    assert [f for f in _others(copy) if not f.lower().startswith(b"content-")] == kept
