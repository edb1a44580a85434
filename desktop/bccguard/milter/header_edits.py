"""The conversion as milter edits: To/Cc become the relay form, nothing else changes.

A milter cannot hand Postfix a new message, only edits to the header fields
(``smfi_chgheader``, ``smfi_insheader``); the new To comes from the one conversion
code (``core.bcc_conversion.to_relay_form``), and every copy of To, Cc, Bcc and
their Resent- forms goes. The envelope is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

from bccguard.core.bcc_conversion import ToStyle, to_relay_form
from bccguard.core.header_block import parse_header_block
from bccguard.milter.message_head import RECIPIENT_FIELDS, MessageHead

CONVERTED_FIELD = "X-BccGuard"


@dataclass(frozen=True, slots=True)
class HeaderEdit:
    """One edit: change copy ``index`` of ``name`` to ``value`` ("" deletes it), or
    (``index`` None) insert ``name: value`` at ``position`` (-1: at the end)."""

    name: str
    value: str
    index: int | None = None
    position: int = -1


def relay_form_to(head: MessageHead, style: ToStyle) -> str:
    """The To value of the relay form of ``head`` (unfolded: one line)."""
    converted = parse_header_block(to_relay_form(head.raw(), style))
    to_field = converted.all("to")[0]
    return to_field.unfolded().decode("utf-8", "replace")


def conversion_edits(head: MessageHead, style: ToStyle, note: str) -> list[HeaderEdit]:
    """Edits that turn ``head``'s recipient fields into the relay form, and the
    field saying BccGuard converted it (``note``)."""
    to_value = relay_form_to(head, style)
    edits: list[HeaderEdit] = []
    for name in RECIPIENT_FIELDS:
        copies = head.indexes(name)
        keep = 1 if name == "to" and copies else 0
        # From the last copy back: an index never shifts under a later edit.
        edits.extend(
            HeaderEdit(_canonical(name), "", i) for i in reversed(copies[keep:])
        )
    if head.indexes("to"):
        edits.append(HeaderEdit("To", to_value, 1))
    else:
        first = head.first_position(RECIPIENT_FIELDS)
        edits.append(HeaderEdit("To", to_value, None, -1 if first is None else first))
    edits.append(HeaderEdit(CONVERTED_FIELD, note))
    return edits


def _canonical(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))
