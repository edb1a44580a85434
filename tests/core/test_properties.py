"""Property tests: no input crashes the core, and none undercounts its recipients."""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import re
import unicodedata
from dataclasses import dataclass
from email.header import Header

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bccguard.core.address_list import Address, parse_address_list
from bccguard.core.bcc_conversion import ConversionError, to_draft_bcc, to_relay_form
from bccguard.core.header_block import parse_header_block
from bccguard.core.identity import address_key
from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.core.verdict import check

FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
POLICY = Policy.build(threshold=3, trusted_domains=["example-corp.com"])


# --- (a) nothing crashes -------------------------------------------------------------


def _everything(raw: bytes) -> None:
    message = read_message(raw)
    verdict = check(message, POLICY)
    assert verdict.to_json()["visible_count"] == len(message.visible)
    for convert in (to_draft_bcc, to_relay_form):
        with contextlib.suppress(ConversionError):
            convert(raw)


@FAST
@given(st.binary(max_size=400))
def test_arbitrary_bytes_do_not_crash(raw: bytes) -> None:
    _everything(raw)


HEADERISH = st.lists(
    st.sampled_from(
        [
            b"To:",
            b"Cc:",
            b"Bcc:",
            b"From:",
            b"\r\n",
            b"\n",
            b"\r",
            b" ",
            b"\t",
            b"<",
            b">",
            b'"',
            b"(",
            b")",
            b",",
            b";",
            b":",
            b"@",
            b"a",
            b"x.com",
            b"=?utf-8?q?",
            b"=?utf-8?B?",
            b"YUBi",
            b"?=",
            b"\\",
            b"\x00",
            b"\xff",
            b"\xc3\xa9",
            b"[",
            b"]",
            b".",
        ]
    ),
    max_size=80,
).map(b"".join)


@FAST
@given(HEADERISH, st.binary(max_size=40))
def test_header_like_bytes_do_not_crash(head: bytes, tail: bytes) -> None:
    _everything(b"From: me@example-corp.com\r\n" + head + b"\r\n\r\n" + tail)
    _everything(b"To: " + head)


@FAST
@given(st.text(max_size=200))
def test_arbitrary_header_text_does_not_crash(text: str) -> None:
    result = parse_address_list(text)
    for address in result.addresses:
        assert isinstance(address.key, str)


# --- messages built from a known list of addresses ----------------------------------

LOCAL = st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda s: ".." not in s
)
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
DOMAIN = st.lists(LABEL, min_size=1, max_size=2).map(
    lambda labels: ".".join([*labels, "example"])
)
ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}", LOCAL, DOMAIN)
NAME = st.text(
    alphabet=st.sampled_from(list("abcXYZ éü,.;:@\"'()<>\\")), min_size=1, max_size=12
)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment(name: str) -> str:
    escaped = "".join("\\" + c if c in "()\\" else c for c in name)
    return f"({escaped})"


def _encoded(name: str) -> str:
    return Header(name, "utf-8").encode()


def _outlook_q(name: str) -> str:
    # Outlook writes commas inside Q-encoded words, against RFC 2047 §5.
    safe = "".join(c for c in name if c.isalnum() or c in ", ") or "x"
    return "=?utf-8?Q?" + safe.replace(" ", "_") + "?="


def _render(addr: str, style: int, name: str, upper: bool) -> str:
    if upper:
        local, _, domain = addr.partition("@")
        addr = f"{local}@{domain.upper()}"
    return [
        addr,
        f"{_quote(name)} <{addr}>",
        f"{addr} {_comment(name)}",
        f"{_encoded(name)} <{addr}>",
        f"{_outlook_q(name)} <{addr}>",
        f"<@relay.example:{addr}>",
        f"'{addr}' <{addr}>",
        f"<{addr}>",
    ][style]


@dataclass
class Built:
    raw: bytes
    truth: set[str]
    body: bytes
    values: list[str]


@st.composite
def messages(draw: st.DrawFn) -> Built:
    addresses = draw(st.lists(ADDRESS, max_size=18, unique=True))
    items = [
        _render(a, draw(st.integers(0, 7)), draw(NAME), draw(st.booleans()))
        for a in addresses
    ]
    for _ in range(draw(st.integers(0, 3)) if addresses else 0):  # duplicates
        items.append(_render(draw(st.sampled_from(addresses)), 0, "x", True))
    items = draw(st.permutations(items))
    sep = draw(st.sampled_from([", ", ",", "; ", " ; "]))
    values: list[str] = []
    pos = 0
    while pos < len(items) or not values:
        take = draw(st.integers(1, 8))
        chunk = items[pos : pos + take]
        pos += take
        grouped = draw(st.booleans())
        if chunk and grouped:
            value = "Team" + str(pos) + ": " + ", ".join(chunk) + ";"
        else:
            value = sep.join(chunk)
        if draw(st.booleans()):
            value = "undisclosed-recipients:;" + (" " + value if value else "")
        values.append(value)
        if pos >= len(items):
            break
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    fields = []
    for value in values:
        name = draw(st.sampled_from(["To", "Cc", "to", "CC"]))
        folded = value
        if draw(st.booleans()):  # fold after some separators
            folded = value.replace(", ", "," + newline + " ")
        fields.append(f"{name}: {folded}")
    body = draw(st.binary(max_size=60)).replace(b"\r", b"") + b"\nTo: b@body.example\n"
    head = newline.join(
        ["From: Me <me@example-corp.com>", *fields, "Subject: s", "Message-ID: <m@x>"]
    )
    raw = (head + newline + newline).encode("utf-8") + body
    return Built(raw, {Address(a).key for a in addresses}, body, values)


# --- (b) never an undercount ---------------------------------------------------------


@FAST
@given(messages())
def test_generated_messages_are_never_undercounted(built: Built) -> None:
    message = read_message(built.raw)
    keys = {a.key for a in message.visible}
    assert len(message.visible) >= len(built.truth)
    assert built.truth <= keys
    if not message.doubtful:
        assert keys == built.truth, [p.text for p in message.problems]


# --- (c) conversion never loses a recipient or a body byte ----------------------------


@FAST
@given(messages())
def test_draft_conversion_loses_nobody_and_no_body_byte(built: Built) -> None:
    before = read_message(built.raw)
    try:
        converted = to_draft_bcc(built.raw)
    except ConversionError:
        assert before.doubtful
        return
    after = read_message(converted)
    kept = {a.key for a in after.visible} | {a.key for a in after.hidden}
    # Every recipient moves; an address only shown in a name is no recipient.
    recipients = {a.key for a in (*before.visible, *before.hidden) if a.recipient}
    assert recipients <= kept
    assert built.truth <= kept
    assert {a.key for a in after.visible} == {"me@example-corp.com"}
    assert converted.endswith(built.body)
    assert converted[parse_header_block(converted).body_offset :] == built.body
    relay = to_relay_form(built.raw)
    assert relay[parse_header_block(relay).body_offset :] == built.body
    assert parse_header_block(relay).all("bcc") == []


# --- (d) corruption never lowers the count -------------------------------------------


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[str, set[str]]:
    built = draw(messages())
    assume(built.truth)
    value = ", ".join(v for v in built.values if v)
    chars = draw(st.lists(st.sampled_from("<(;"), max_size=3))
    chars += draw(st.sampled_from([[], ['"']]))
    for char in chars:
        at = draw(st.integers(0, len(value)))
        value = value[:at] + char + value[at:]
    return value, built.truth


@FAST
@given(corrupted())
def test_corruption_never_lowers_the_count(case: tuple[str, set[str]]) -> None:
    value, truth = case
    raw = f"From: me@example-corp.com\r\nTo: {value}\r\n\r\nbody\r\n".encode()
    message = read_message(raw)
    assert len(message.visible) >= len(truth), (
        value,
        [a.addr for a in message.visible],
    )


# --- (e) never fewer than a reader renders -------------------------------------------

# What a person reading the rendered header takes for an address.
_RENDERED_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+@[^\s<>()\[\],;:\"@]+")
READER_FIELDS = ("To", "Cc", "Resent-To", "Resent-Cc")


def rendered_people(raw: bytes) -> set[str]:
    """The distinct addresses Python's email package renders for the visible fields
    (its mailboxes and its decoded text, read leniently), by the identity rule."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = []
    for name in READER_FIELDS:
        for header in message.get_all(name, []):
            texts.append(str(header))
            texts.extend(a.addr_spec for a in getattr(header, "addresses", ()))
    shown = unicodedata.normalize("NFKC", " ".join(texts))
    return {address_key(m.strip("'.")) for m in _RENDERED_ADDRESS.findall(shown)}


def _b_word(text: str) -> str:
    return "=?utf-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def _q_word(text: str) -> str:
    return (
        "=?utf-8?Q?"
        + "".join(
            c if c.isalnum() and c.isascii() else "_" if c == " " else f"={ord(c):02X}"
            for c in text
        )
        + "?="
    )


def _shouting(addr: str) -> str:
    return addr.upper()


@st.composite
def reader_headers(draw: st.DrawFn) -> bytes:
    """Visible fields whose names, comments, group names and words show addresses,
    plain or encoded, in any case."""
    people = draw(st.lists(ADDRESS, min_size=1, max_size=14, unique=True))

    def shown() -> str:
        picked = draw(st.lists(st.sampled_from(people), min_size=1, max_size=3))
        text = draw(st.sampled_from([", ", " ", "; "])).join(picked)
        if draw(st.booleans()):
            text = text.replace("@", "\uff20")  # looks the same to a reader
        return text

    def item() -> str:
        addr = draw(st.sampled_from(people))
        if draw(st.booleans()):
            addr = _shouting(addr)
        form = draw(st.integers(0, 7))
        if form == 0:
            return addr
        if form == 1:
            return f"{_quote(shown())} <{addr}>"
        if form == 2:
            return f"{_b_word(shown())} <{addr}>"
        if form == 3:
            return f"{_q_word(shown())} <{addr}>"
        if form == 4:
            return f"{addr} ({_q_word(shown())})"
        if form == 5:
            return _b_word(shown())  # a bare word: no mailbox at all
        if form == 6:
            return f"{_q_word(shown())}: {addr};"  # a group's name
        return f"Name <{addr}>"

    fields = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from([*READER_FIELDS, "to", "RESENT-CC"]))
        items = [item() for _ in range(draw(st.integers(1, 6)))]
        fields.append(f"{name}: " + ",\r\n ".join(items))
    head = "\r\n".join(["From: Me <me@example-corp.com>", *fields, "Subject: s"])
    return (head + "\r\n\r\nbody\r\n").encode()


@FAST
@given(reader_headers())
def test_the_count_is_never_below_what_a_reader_renders(raw: bytes) -> None:
    message = read_message(raw)
    counted = {a.key for a in message.visible}
    assert len(counted) >= len(rendered_people(raw)), (
        sorted(rendered_people(raw) - counted),
        [p.text for p in message.problems],
    )
