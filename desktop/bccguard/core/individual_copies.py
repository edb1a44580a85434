"""One copy per recipient: the held message addressed to one person only.

"Send one by one" turns a mass mail into personal messages. Each copy has that
recipient alone in To (as the sender wrote them, display name kept), no Cc and no
Bcc (nor their Resent- forms, RFC 5322 §3.6.6), and a Message-ID of its own
(RFC 5322 §3.6.4: each message has one), made from the run and the recipient so
that a copy sent again after a crash has the same one and the recipient's mail
program can see it is the same message. Every other byte stays as it was.

The greeting is optional: ``{first_name}`` in the text parts becomes the first
name read from the display name, or a fallback. Only a message whose text
contains the placeholder is read with the ``email`` package and written again;
any other message keeps its body byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import html
import quopri
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from email.utils import formataddr
from io import BytesIO

from bccguard.core.address_list import Address, parse_address_list
from bccguard.core.bcc_conversion import fold_field
from bccguard.core.header_block import (
    UnterminatedHeader,
    parse_header_block,
    replace_fields,
)
from bccguard.core.identity import address_key
from bccguard.core.message import HIDDEN_FIELDS, VISIBLE_FIELDS, read_message

PLACEHOLDER = "{first_name}"
_PLACEHOLDER_BYTES = PLACEHOLDER.encode("ascii")
_DROPPED = frozenset((*VISIBLE_FIELDS, *HIDDEN_FIELDS, "message-id"))
_REPLACEMENT = "\ufffd"
# Words before a name that are not the name (English and Italian forms).
_TITLES = frozenset(
    {
        *("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev"),
        *("ing", "avv", "dott", "dottssa", "dottoressa", "sig", "sigra", "signor"),
        *("signora", "signorina", "geom", "arch", "rag", "on"),
    }
)
# What a single-part message's own header says about its one text.
_PART_FIELDS = ("Content-Type", "Content-Transfer-Encoding")


class CopyError(ValueError):
    """A copy that cannot be made without losing something; the text says why."""


@dataclass(frozen=True, slots=True)
class Greeting:
    """Greet each recipient by first name: ``{first_name}`` in the text parts."""

    fallback: str = ""  # when no first name can be read from the display name


def recipients_of(raw: bytes, envelope: Sequence[str]) -> tuple[Address, ...]:
    """Each envelope recipient once, with the name the message gives them.

    The envelope decides who gets a copy (a Bcc recipient too); the To, Cc and Bcc
    fields give their display names.
    """
    message = read_message(raw)
    named = {a.key: a for a in (*message.visible, *message.hidden) if a.recipient}
    found: dict[str, Address] = {}
    for rcpt in envelope:
        key = address_key(rcpt)
        if key in found:
            continue
        known = named.get(key)
        found[key] = Address(rcpt, known.name, known.source) if known else Address(rcpt)
    return tuple(found.values())


def copy_message_id(run: str, recipient: str, domain: str) -> str:
    """The Message-ID of ``recipient``'s copy in ``run``: always the same one."""
    digest = hashlib.sha256(f"{run}\0{address_key(recipient)}".encode()).hexdigest()
    return f"<bccguard.{digest[:32]}@{domain or 'bccguard.invalid'}>"


def message_id_for(raw: bytes, run: str, recipient: str) -> str:
    """The Message-ID ``recipient``'s copy of ``raw`` has in ``run``."""
    message = read_message(raw)
    domain = _id_domain(message.message_id, message.senders)
    return copy_message_id(run, recipient, domain)


def copy_for(
    raw: bytes,
    recipient: Address,
    *,
    run: str,
    greeting: Greeting | None = None,
) -> bytes:
    """The copy of ``raw`` for ``recipient`` alone.

    Args:
        raw: The message as held.
        recipient: Who this copy is for (``recipients_of`` gives the names).
        run: What makes this run's Message-IDs its own (the same for a retry).
        greeting: Put the first name in place of ``{first_name}``; None leaves
            the body as it is.

    Raises:
        CopyError: the input is not a message, or its header block has no end.
    """
    message = read_message(raw)
    if message.not_a_message is not None:
        raise CopyError(f"not a message: {message.not_a_message}")
    header = message.header
    newline = header.newline
    domain = _id_domain(message.message_id, message.senders)
    fields = fold_field("To", [to_text(recipient)], newline)
    fields += f"Message-ID: {copy_message_id(run, recipient.addr, domain)}".encode()
    fields += newline
    try:
        out = replace_fields(raw, header, _DROPPED, fields)
    except UnterminatedHeader as error:
        raise CopyError(str(error)) from error
    if greeting is not None:
        out = greet(out, first_name(recipient.name) or greeting.fallback)
    return out


def to_text(address: Address) -> str:
    """The mailbox for the copy's To: as written when that is safe, else built
    from the name and the address (RFC 2047 words for a name that is not ASCII)."""
    written = address.source
    if written and _REPLACEMENT not in written:
        reread = parse_address_list(written)
        keys = [a.key for a in reread.addresses]
        if keys == [address.key] and not any(p.doubtful for p in reread.problems):
            return written
    name = address.name.replace(_REPLACEMENT, "").strip()
    if not name or "@" in name:
        return address.addr
    return formataddr((name, address.addr), charset="utf-8")


def _id_domain(message_id: str, senders: Iterable[Address]) -> str:
    """The right side of the original Message-ID, else the sender's domain."""
    right = message_id.strip().strip("<>").rpartition("@")[2]
    if right and re.fullmatch(r"[A-Za-z0-9.-]+", right):
        return right
    for sender in senders:
        if re.fullmatch(r"[A-Za-z0-9.-]+", sender.domain):
            return sender.domain
    return ""


# -- the first name ----------------------------------------------------------------


def _has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)


def first_name(display_name: str) -> str:
    """The first name in a display name, or "" when none can be told.

    ``Mario Rossi`` and ``"Rossi, Mario"`` give ``Mario``; ``ROSSI Mario`` (the
    surname in capitals first, as Italian lists often write it) gives ``Mario``;
    titles go (``Dr. Anna Bianchi``: ``Anna``); a name that is an address, or has
    no letters, gives "". A name all in capitals or all in small letters is
    capitalised (``MARIO`` → ``Mario``).
    """
    name = display_name.replace(_REPLACEMENT, " ").strip().strip("\"'").strip()
    if not name or "@" in name:
        return ""
    if "," in name:
        surname, _, rest = name.partition(",")
        name = rest if _has_letter(rest) else surname
    words = [w.strip("\"'()[]<>.,;:") for w in name.split()]
    words = [w for w in words if w and _has_letter(w)]
    while len(words) > 1 and words[0].lower().replace(".", "") in _TITLES:
        words = words[1:]
    if not words:
        return ""
    if len(words) > 1 and words[0].isupper() and not words[1].isupper():
        words = words[1:]
    word = words[0]
    if word.lower().replace(".", "") in _TITLES:
        return ""
    if word.isupper() or word.islower():
        word = "-".join(part.capitalize() for part in word.split("-"))
    return word


# -- the greeting in the body --------------------------------------------------------


def greet(raw: bytes, name: str) -> bytes:
    """``raw`` with ``{first_name}`` in its text/plain and text/html parts replaced
    by ``name`` (escaped in HTML). Without the placeholder, ``raw`` as it is.

    The top-level header block is kept as it was, except Content-Type and
    Content-Transfer-Encoding of a single-part message when the new text needs
    another charset or encoding.
    """
    split = parse_header_block(raw).body_offset
    if _PLACEHOLDER_BYTES not in raw and not _encoded_text(raw):
        return raw
    message = message_from_bytes(raw, policy=compat32)
    kept = {n: message.get(n) for n in _PART_FIELDS}
    changed = False
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.get_content_subtype() not in ("plain", "html"):
            continue
        if part.get("Content-Disposition", "").lower().startswith("attachment"):
            continue
        changed |= _greet_part(part, name)
    if not changed:
        return raw
    body = _flatten(message)
    new_split = parse_header_block(body).body_offset
    head = raw[:split]
    now = [n for n in _PART_FIELDS if message.get(n) != kept[n]]
    if now and not message.is_multipart():
        head = _with_fields(raw[:split], message, now)
    return head + body[new_split:]


def has_placeholder(raw: bytes) -> bool:
    """True when a text part of ``raw`` says ``{first_name}`` (in any transfer
    encoding): the greeting then has something to fill in."""
    return greet(raw, "") is not raw


def _encoded_text(raw: bytes) -> bool:
    """True when the message may hide the placeholder in an encoded part."""
    lowered = raw.lower()
    return b"base64" in lowered or b"quoted-printable" in lowered


def _greet_part(part: Message, name: str) -> bool:
    """Replace the placeholder in one text part; True when it was there."""
    charset = part.get_content_charset() or "us-ascii"
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return False
    try:
        text = payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return False  # a part that cannot be read is left as it is
    if PLACEHOLDER not in text:
        return False
    shown = html.escape(name) if part.get_content_subtype() == "html" else name
    text = text.replace(PLACEHOLDER, shown)
    encoding = (part.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    try:
        data = text.encode(charset)
    except UnicodeEncodeError:
        charset, data = "utf-8", text.encode("utf-8")
        part.set_param("charset", charset)
    if encoding == "7bit" and not data.isascii():
        encoding = "quoted-printable"
    _set_encoded(part, data, encoding)
    return True


def _set_encoded(part: Message, data: bytes, encoding: str) -> None:
    """Put ``data`` in ``part`` in the transfer encoding ``encoding``."""
    del part["Content-Transfer-Encoding"]
    if encoding == "base64":
        text = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
        part.set_payload(text)
        part["Content-Transfer-Encoding"] = "base64"
    elif encoding == "quoted-printable":
        text = quopri.encodestring(data).decode("ascii")
        part.set_payload(text.replace("\r\n", "\n").replace("\n", "\r\n"))
        part["Content-Transfer-Encoding"] = "quoted-printable"
    else:
        # Bytes that are not ASCII travel as surrogates, which the generator
        # writes back as the same bytes.
        part.set_payload(data.decode("ascii", "surrogateescape"))
        part["Content-Transfer-Encoding"] = encoding


def _flatten(message: Message) -> bytes:
    """The message as bytes, header lines as they were read (no refolding)."""
    out = BytesIO()
    policy = compat32.clone(linesep="\r\n", max_line_length=0)
    BytesGenerator(out, mangle_from_=False, policy=policy).flatten(message)
    return out.getvalue()


def _with_fields(head: bytes, message: Message, names: Sequence[str]) -> bytes:
    """The raw header block ``head`` with ``names`` as ``message`` now has them."""
    block = parse_header_block(head)
    newline = block.newline
    parts: list[bytes] = []
    pos = 0
    keys = {n.lower() for n in names}
    for header_field in block.fields:
        if header_field.key in keys:
            parts.append(head[pos : header_field.start])
            pos = header_field.end
    parts.append(head[pos : block.fields[-1].end if block.fields else 0])
    for name in names:
        value = message.get(name)
        if value is not None:
            parts.append(f"{name}: {value}".encode("ascii", "replace") + newline)
    parts.append(head[block.fields[-1].end if block.fields else 0 :])
    return b"".join(parts)
