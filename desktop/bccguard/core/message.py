"""A message's recipients as the check sees them: visible, hidden, and the sender's own.

Visible recipients are the distinct people in every copy of To and Cc, and of
Resent-To and Resent-Cc (RFC 5322 §3.6.6: mail programs show them to readers), group
members included; hidden ones are Bcc and Resent-Bcc addresses (drafts) or envelope
recipients the headers do not show (the proxy). Only the top-level header block is
read; input without a single header field is not a message at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from bccguard.core.address_list import (
    Address,
    AddressList,
    Problem,
    parse_address_list,
)
from bccguard.core.encoded_words import decode_words
from bccguard.core.header_block import HeaderBlock, HeaderField, parse_header_block
from bccguard.core.identity import normalise_addr
from bccguard.core.phrase import Phrase, joined, nphrase

VISIBLE_FIELDS = ("to", "cc", "resent-to", "resent-cc")
HIDDEN_FIELDS = ("bcc", "resent-bcc")
# Whoever resent the message (RFC 5322 §3.6.6) sends it as much as its author.
SENDER_FIELDS = ("from", "sender", "resent-from", "resent-sender")

# Addresses this plain need no deeper validation; the rest go to email-validator.
_PLAIN = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+"
)


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """What the check needs to know about one message."""

    visible: tuple[Address, ...]
    hidden: tuple[Address, ...]
    senders: tuple[Address, ...]
    subject: str
    message_id: str
    problems: tuple[Problem, ...]
    header: HeaderBlock
    empty: bool = False
    # Recipient fields with a doubtful reading in which no recipient was found.
    unreadable_fields: tuple[str, ...] = ()

    @property
    def doubtful(self) -> bool:
        """True when a problem may have made the visible count wrong."""
        return any(p.doubtful for p in self.problems)

    @property
    def not_a_message(self) -> str | None:
        """Why the input is not a message, or None when it is one.

        A message begins with its header fields (RFC 5322 §2.1); input without a
        single one (empty, binary junk, plain text) cannot show who sees whom.
        """
        if self.empty:
            return Phrase("it is empty")
        if not self.header.fields:
            return Phrase("it has no header field")
        return None


def _field_text(header_field: HeaderField, problems: list[Problem]) -> str:
    value = header_field.unfolded()
    if b"\x00" in value:
        problems.append(
            Problem(Phrase("{field} contains NUL bytes", field=header_field.name), True)
        )
        value = value.replace(b"\x00", b" ")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(
            Problem(
                Phrase("{field} has bytes that are not UTF-8", field=header_field.name),
                doubtful=True,
            )
        )
        return value.decode("utf-8", "replace")


def _read_fields(
    header: HeaderBlock,
    names: Sequence[str],
    problems: list[Problem],
    unreadable: list[str],
) -> list[Address]:
    """Every address in every copy of the fields ``names``.

    Problems go to ``problems``; a field read in doubt and without a single
    recipient (one it is addressed to, not only shown) goes to ``unreadable``.
    """
    found: list[Address] = []
    for name in names:
        for header_field in header.all(name):
            field_problems: list[Problem] = []
            if header_field.repaired:
                field_problems.append(
                    Problem(
                        Phrase(
                            "{field} continues on a line that is not folded",
                            field=header_field.name,
                        ),
                        doubtful=True,
                    )
                )
            text = _field_text(header_field, field_problems)
            result: AddressList = parse_address_list(text, broken=bool(field_problems))
            field_problems.extend(
                Problem(joined(": ", [header_field.name, p.text]), p.doubtful)
                for p in result.problems
            )
            problems.extend(field_problems)
            doubtful = any(p.doubtful for p in field_problems)
            if doubtful and not any(a.recipient for a in result.addresses):
                unreadable.append(header_field.name)
            found.extend(result.addresses)
    return found


def distinct(addresses: Iterable[Address]) -> tuple[Address, ...]:
    """First occurrence of each address, by :attr:`Address.key`."""
    seen: dict[str, Address] = {}
    for address in addresses:
        seen.setdefault(address.key, address)
    return tuple(seen.values())


def _flag_invalid(addresses: Iterable[Address], problems: list[Problem]) -> None:
    """Report addresses email-validator rejects; they still count."""
    for address in addresses:
        if _PLAIN.fullmatch(address.addr):
            continue
        try:
            validate_email(
                address.addr,
                check_deliverability=False,
                allow_smtputf8=True,
                allow_quoted_local=True,
                allow_domain_literal=True,
                globally_deliverable=False,
            )
        except EmailNotValidError as error:
            problems.append(
                Problem(
                    Phrase(
                        "{address}: {error} (still counted)",
                        address=address.addr,
                        error=str(error),
                    )
                )
            )


def read_message(raw: bytes, envelope: Sequence[str] | None = None) -> ParsedMessage:
    """Read the recipients of a raw message.

    Args:
        raw: the message, or at least its whole header block.
        envelope: RCPT TO addresses when the message came over SMTP.

    Returns:
        The parsed message; never raises on bad input.
    """
    header = parse_header_block(raw)
    problems = [Problem(text) for text in header.problems]
    unreadable: list[str] = []
    visible = distinct(_read_fields(header, VISIBLE_FIELDS, problems, unreadable))
    senders = distinct(_read_fields(header, SENDER_FIELDS, [], []))
    hidden_raw = _read_fields(header, HIDDEN_FIELDS, problems, unreadable)
    if envelope is not None:
        hidden_raw.extend(Address(normalise_addr(a)) for a in envelope)
    visible_keys = {a.key for a in visible}
    hidden = tuple(a for a in distinct(hidden_raw) if a.key not in visible_keys)
    if envelope is not None and hidden and any(p.doubtful for p in problems):
        # Fail closed: with unreadable headers we cannot tell who is shown.
        problems.append(
            Problem(
                nphrase(
                    "{n} envelope recipient not found in unreadable headers is "
                    "counted as visible",
                    "{n} envelope recipients not found in unreadable headers are "
                    "counted as visible",
                    len(hidden),
                ),
                doubtful=True,
            )
        )
        visible = visible + hidden
        hidden = ()
    _flag_invalid(visible, problems)
    return ParsedMessage(
        visible=visible,
        hidden=hidden,
        senders=senders,
        subject=decode_words(header.first_text("subject")),
        message_id=header.first_text("message-id"),
        problems=tuple(problems),
        header=header,
        empty=not raw or raw.isspace(),
        unreadable_fields=tuple(unreadable),
    )
