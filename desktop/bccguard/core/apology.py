"""Apology templates: strict rendering, and the messages built from them.

A template is a plain file ``resources/templates/<lang>/<situation>.<audience>.txt``:
the first line is ``Subject: ...`` (``Oggetto: ...`` in Italian: any label of
``SUBJECT_LABELS``), the rest is the body. Placeholders are named,
``{recipient_name}``; ``{{`` and ``}}`` stand for literal braces. A placeholder that is
unknown or has no value is an error naming it, never a blank.

Two audiences: a **group** apology is ONE message with every affected person in the
envelope only (To is the sender: the apology must not repeat the mistake); an
**individual** apology is one message per chosen person.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import formatdate, make_msgid
from enum import StrEnum
from pathlib import Path

from bccguard.core.incidents import Incident
from bccguard.core.phrase import Phrase
from bccguard.core.project_files import resource_path

PLACEHOLDERS = frozenset({"recipient_name", "count", "subject", "date", "sender_name"})
SITUATIONS = ("addresses-exposed", "reply-all", "complaint")
LANGUAGES = ("en", "it")

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MONTHS = {
    "en": "January February March April May June July August September October "
    "November December",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre "
    "ottobre novembre dicembre",
}
_NO_SUBJECT = {"en": "(no subject)", "it": "(senza oggetto)"}
# The first line's label, as the template's reader knows it; every one is accepted.
SUBJECT_LABELS = ("Subject", "Oggetto")


class Audience(StrEnum):
    """Who one apology is for."""

    GROUP = "group"
    INDIVIDUAL = "individual"


class ApologyError(ValueError):
    """A template or an apology that cannot be rendered or built."""


class PlaceholderError(ApologyError):
    """A placeholder is unknown, has no value, or a brace is unmatched."""

    def __init__(
        self, message: str, reason: str, name: str, position: int, line: int
    ) -> None:
        super().__init__(message)
        self.reason = reason  # "unknown", "missing" or "unmatched"
        self.name = name  # the placeholder, or the unmatched brace
        self.position = position  # in the whole template text
        self.line = line


@dataclass(frozen=True, slots=True)
class RenderedApology:
    """A template with its placeholders filled."""

    subject: str
    body: str
    label: str = "Subject"  # as the template wrote it ("Oggetto" in Italian)

    @property
    def text(self) -> str:
        """The apology as a person reads it: subject line, blank line, body."""
        return f"{self.label}: {self.subject}\n\n{self.body}"


@dataclass(frozen=True, slots=True)
class OutgoingApology:
    """One apology message, ready to send (``data``) or to save as a draft."""

    mail_from: str
    recipients: tuple[str, ...]  # the envelope
    data: bytes  # RFC 5322, no Bcc field: the envelope carries the recipients
    draft: bytes  # the same message with a Bcc field (or To), for Drafts and .eml
    message_id: str


# -- templates --------------------------------------------------------------------


def default_templates_dir() -> Path:
    """``resources/templates`` of this copy of BccGuard."""
    return resource_path("templates")


def template_path(
    root: Path, language: str, situation: str, audience: Audience
) -> Path:
    """Where one template lives."""
    return root / language / f"{situation}.{audience.value}.txt"


def available_templates(root: Path, language: str) -> list[tuple[str, Audience]]:
    """The (situation, audience) pairs with a template in ``language``, in order."""
    found = []
    for situation in SITUATIONS:
        for audience in Audience:
            if template_path(root, language, situation, audience).is_file():
                found.append((situation, audience))
    return found


def load_template(root: Path, language: str, situation: str, audience: Audience) -> str:
    """The text of one template.

    Raises:
        ApologyError: No such template, or it cannot be read.
    """
    path = template_path(root, language, situation, audience)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise ApologyError(
            f"no {audience.value} template for {situation!r} in {language!r}"
        ) from e


def split_template(text: str) -> tuple[str, str]:
    """``Subject: ...`` on the first line, then the body; returns both.

    Raises:
        ApologyError: The first line is not a Subject line.
    """
    subject, _, body, _, _ = _parts(text)
    return subject, body


def _parts(text: str) -> tuple[str, int, str, int, str]:
    """Subject and body, each with where it starts in ``text``, and the label."""
    first, newline, rest = text.partition("\n")
    name, colon, value = first.partition(":")
    label = next(
        (known for known in SUBJECT_LABELS if name.strip().lower() == known.lower()),
        None,
    )
    if not colon or label is None:
        raise ApologyError(
            Phrase(
                "the first line must be the subject: 'Subject: ...' or 'Oggetto: ...'"
            )
        )
    subject = value.strip()
    subject_at = len(name) + 1 + (len(value) - len(value.lstrip()))
    body = rest.lstrip("\r\n")
    body_at = len(first) + len(newline) + len(rest) - len(body)
    return subject, subject_at, body.rstrip() + "\n", body_at, label


# -- strict rendering --------------------------------------------------------------


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in ``text``, in order (duplicates kept)."""
    return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1) is not None]


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace every ``{name}`` with its value.

    Args:
        text: Template text; ``{{`` and ``}}`` are literal braces.
        values: The placeholder values; blank values count as missing.

    Returns:
        The text with every placeholder filled.

    Raises:
        PlaceholderError: An unknown placeholder, one without a value, a
            malformed one (``{a.b}``, ``{0}``) or an unmatched brace; the
            message names it and says where it is.
    """
    return _fill(text, values, 0, text)


def _fill(text: str, values: Mapping[str, str], offset: int, whole: str) -> str:
    """:func:`fill` for a part of ``whole`` that starts at ``offset``."""
    parts: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
            continue
        name = match.group(1)
        at = offset + match.start()
        line = whole.count("\n", 0, at) + 1
        where = f"on line {line}"
        if name is None:
            raise PlaceholderError(
                f"unmatched {token!r} {where}", "unmatched", token, at, line
            )
        if not _NAME.fullmatch(name) or name not in PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
            raise PlaceholderError(
                f"unknown placeholder {{{name}}} {where} (known: {known})",
                "unknown",
                name,
                at,
                line,
            )
        value = values.get(name, "")
        if not str(value).strip():
            raise PlaceholderError(
                f"no value for placeholder {{{name}}} {where}",
                "missing",
                name,
                at,
                line,
            )
        parts.append(str(value))
    parts.append(text[pos:])
    return "".join(parts)


def render(text: str, values: Mapping[str, str]) -> RenderedApology:
    """Fill a whole template (subject line and body) strictly; see :func:`fill`."""
    subject, subject_at, body, body_at, label = _parts(text)
    single_line = {k: " ".join(str(v).split()) for k, v in values.items()}
    # The subject is a header: its values must not bring line breaks (RFC 5322 §2.2).
    return RenderedApology(
        _fill(subject, single_line, subject_at, text),
        _fill(body, values, body_at, text),
        label,
    )


# -- values -----------------------------------------------------------------------


def format_date(timestamp: float, language: str) -> str:
    """A day as people write it: ``12 March 2025``, ``12 marzo 2025``."""
    day = datetime.fromtimestamp(timestamp)
    months = _MONTHS.get(language, _MONTHS["en"]).split()
    return f"{day.day} {months[day.month - 1]} {day.year}"


def guess_name(address: str) -> str:
    """A name to greet someone by when only the address is known.

    ``mario.rossi@x`` gives ``Mario Rossi``; an address whose local part is not
    made of plain words gives the address itself.
    """
    local = address.rpartition("@")[0] or address
    words = [w for w in re.split(r"[._-]+", local) if w]
    if words and all(w.isalpha() for w in words):
        return " ".join(w.capitalize() for w in words)
    return address


def apology_values(
    incident: Incident,
    *,
    sender_name: str,
    language: str,
    recipient_name: str = "",
) -> dict[str, str]:
    """The placeholder values for one apology about ``incident``."""
    values = {
        "count": str(incident.exposed_count),
        "subject": incident.subject or _NO_SUBJECT.get(language, _NO_SUBJECT["en"]),
        "date": format_date(incident.created_at, language),
        "sender_name": sender_name,
    }
    if recipient_name:
        values["recipient_name"] = recipient_name
    return values


# -- messages ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the apology comes from."""

    address: str
    name: str = ""


def build_group(
    text: str,
    incident: Incident,
    sender: Sender,
    language: str,
    now: float,
    recipients: Sequence[str] | None = None,
) -> OutgoingApology:
    """ONE apology to everyone affected, all of them in the envelope only.

    Args:
        text: The template text (possibly edited).
        incident: What the apology is about.
        sender: The From address and the name to sign with.
        language: For the date and the "(no subject)" text.
        now: The Date of the message.
        recipients: Who gets it; default every exposed address.

    Raises:
        ApologyError: No recipients, or the template does not render.
    """
    people = _distinct(incident.exposed if recipients is None else recipients)
    if not people:
        raise ApologyError("nobody to send the apology to")
    values = apology_values(incident, sender_name=sender.name, language=language)
    rendered = render(text, values)
    # To is the sender: no recipient sees another (RFC 5322 §3.6.3, Bcc semantics).
    message = _message(rendered, sender, [sender], incident, now)
    draft = copy.deepcopy(message)
    draft["Bcc"] = [_header_address(Sender(p)) for p in people]
    addresses = (sender.address, *people)
    return OutgoingApology(
        mail_from=sender.address,
        recipients=people,
        data=_bytes(message, addresses),
        draft=_bytes(draft, addresses),
        message_id=str(message["Message-ID"]),
    )


def build_individual(
    text: str,
    incident: Incident,
    sender: Sender,
    language: str,
    now: float,
    people: Sequence[str],
    names: Mapping[str, str] | None = None,
) -> list[OutgoingApology]:
    """One personal apology per address in ``people``, each to that person only.

    Args:
        names: Display names by address; others are greeted by :func:`guess_name`.

    Raises:
        ApologyError: Nobody chosen, or the template does not render.
    """
    chosen = _distinct(people)
    if not chosen:
        raise ApologyError("choose at least one person to write to")
    out = []
    for person in chosen:
        name = (names or {}).get(person) or guess_name(person)
        values = apology_values(
            incident, sender_name=sender.name, language=language, recipient_name=name
        )
        rendered = render(text, values)
        to = Sender(person, name if name != person else "")
        message = _message(rendered, sender, [to], incident, now)
        data = _bytes(message, (sender.address, person))
        out.append(
            OutgoingApology(
                mail_from=sender.address,
                recipients=(person,),
                data=data,
                draft=data,
                message_id=str(message["Message-ID"]),
            )
        )
    return out


def _distinct(addresses: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().lower(), address.strip())
    return tuple(a for a in seen.values() if a)


def _message(
    rendered: RenderedApology,
    sender: Sender,
    to: Sequence[Sender],
    incident: Incident,
    now: float,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = _header_address(sender)
    message["To"] = [_header_address(t) for t in to]
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(now, localtime=True)
    domain = sender.address.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    original = _angle(incident.message_id)
    if original:  # RFC 5322 §3.6.4: thread the apology under the original
        message["In-Reply-To"] = original
        message["References"] = original
    message.set_content(rendered.body, charset="utf-8", cte="quoted-printable")
    return message


def _header_address(person: Sender) -> HeaderAddress:
    try:
        return HeaderAddress(display_name=person.name, addr_spec=person.address)
    except (ValueError, IndexError) as e:
        raise ApologyError(f"not a usable address: {person.address!r}") from e


def _angle(message_id: str) -> str:
    found = re.search(r"<[^<>\s]+>", message_id)
    if found:
        return found.group(0)
    bare = message_id.strip()
    return f"<{bare}>" if bare and " " not in bare and "@" in bare else ""


def _bytes(message: EmailMessage, addresses: Sequence[str]) -> bytes:
    # RFC 6532 (raw UTF-8 headers) only when an address itself is not ASCII;
    # otherwise names and subject become RFC 2047 encoded words.
    utf8 = not all(a.isascii() for a in addresses)
    return message.as_bytes(policy=SMTPUTF8 if utf8 else SMTP)
