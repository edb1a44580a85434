"""The fix: move every visible recipient to Bcc, changing nothing but the header fields.

Two forms:

* draft form, for the user to send: To becomes the sender (or the empty group
  ``undisclosed-recipients:;``), Cc goes, everyone is in Bcc;
* relay form, inside the proxy: To/Cc are rewritten the same way and no Bcc field is
  written at all (RFC 5321 §7.2: the envelope carries the hidden recipients).

The Resent- forms of the three fields (RFC 5322 §3.6.6) go the same way. Every byte
outside these fields is kept: body, attachments, Subject, Message-ID, Date,
References, line endings.

Moving everyone to Bcc needs no exact count, so a message whose count is uncertain
converts too: every recipient found moves (an address only shown in a display name
or comment is a name, not a recipient, and disappears with To and Cc; one that a
broken list may have swallowed moves). Only a message in which a recipient field's
recipients cannot be found at all, or cannot be written back as they were, is
refused.
"""

from __future__ import annotations

from enum import StrEnum

from bccguard.core.address_list import Address, parse_address_list
from bccguard.core.header_block import UnterminatedHeader, replace_fields
from bccguard.core.message import (
    HIDDEN_FIELDS,
    VISIBLE_FIELDS,
    ParsedMessage,
    distinct,
    read_message,
)
from bccguard.core.phrase import Phrase, joined

UNDISCLOSED = "undisclosed-recipients:;"
_RECIPIENT_FIELDS = frozenset(VISIBLE_FIELDS + HIDDEN_FIELDS)
_REPLACEMENT = "\ufffd"  # what bytes that are not UTF-8 were read as
_FOLD_AT = 78  # RFC 5322 §2.1.1: lines SHOULD be no more than 78 characters


class ToStyle(StrEnum):
    """What stays in To after the conversion."""

    SENDER = "sender"
    UNDISCLOSED = "undisclosed"


class ConversionError(ValueError):
    """A message that cannot be converted without losing something."""


def fold_field(name: str, items: list[str], newline: bytes) -> bytes:
    """``Name: a, b, c`` folded between items to stay near 78 characters a line."""
    lines: list[str] = []
    line = f"{name}:"
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(line) + 1 + len(piece) > _FOLD_AT and line != f"{name}:":
            lines.append(line)
            line = " " + piece
        else:
            line += " " + piece
    lines.append(line)
    return newline.join(s.encode("utf-8") for s in lines) + newline


def _written(address: Address) -> str:
    """The mailbox as written, unless that would show another address (a name
    like ``"carol@evil.example"``) or bytes that were not UTF-8: then the address."""
    text = address.header_text()
    if text == address.addr:
        return text
    reread = parse_address_list(text)
    same = [a.key for a in reread.addresses] == [address.key]
    if not same or _REPLACEMENT in text or any(p.doubtful for p in reread.problems):
        return address.addr
    return text


def _to_value(message: ParsedMessage, style: ToStyle) -> str:
    if style is ToStyle.SENDER and len(message.senders) == 1:
        return _written(message.senders[0])
    return UNDISCLOSED


def _rewrite(raw: bytes, message: ParsedMessage, new_fields: bytes) -> bytes:
    """Drop To/Cc/Bcc and put ``new_fields`` where the first of them stood."""
    try:
        return replace_fields(raw, message.header, _RECIPIENT_FIELDS, new_fields)
    except UnterminatedHeader as error:
        raise ConversionError(
            Phrase("the header block does not end with a line break")
        ) from error


def _check_convertible(message: ParsedMessage) -> None:
    why = message.not_a_message
    if why is not None:
        raise ConversionError(Phrase("not a message: {why}", why=why))
    if message.unreadable_fields:
        names = " and ".join(dict.fromkeys(message.unreadable_fields))
        details = joined("; ", [p.text for p in message.problems if p.doubtful])
        raise ConversionError(
            Phrase(
                "no recipient can be found in {names}, so none could be moved: "
                "{details}",
                names=names,
                details=details,
            )
        )
    for address in (*message.visible, *message.hidden):
        if address.recipient and _REPLACEMENT in address.addr:
            raise ConversionError(
                Phrase(
                    "'{address}' has bytes that are not UTF-8 and cannot be written "
                    "back as they were",
                    address=address.addr,
                )
            )


def to_draft_bcc(raw: bytes, style: ToStyle = ToStyle.SENDER) -> bytes:
    """The draft form: every To/Cc recipient moves to Bcc.

    Raises:
        ConversionError: when the input is not a message, or a recipient field's
            recipients cannot be found or written back; a conversion that might
            drop a recipient is never made.
    """
    message = read_message(raw)
    _check_convertible(message)
    newline = message.header.newline
    everyone = distinct(a for a in (*message.visible, *message.hidden) if a.recipient)
    fields = fold_field("To", [_to_value(message, style)], newline)
    if everyone:
        fields += fold_field("Bcc", [_written(a) for a in everyone], newline)
    return _rewrite(raw, message, fields)


def to_relay_form(raw: bytes, style: ToStyle = ToStyle.SENDER) -> bytes:
    """The relay form: To/Cc rewritten, no Bcc field; the envelope stays as it is."""
    message = read_message(raw)
    newline = message.header.newline
    to_field = fold_field("To", [_to_value(message, style)], newline)
    return _rewrite(raw, message, to_field)
