"""Incidents as values: what went wrong, what was done about it, and the 72 h clock.

GDPR Art. 33(5) asks every personal-data breach to be documented: the facts, its
effects and the remedial action taken. Art. 33(1) gives 72 hours from discovery to
notify the supervisory authority when the breach is notifiable. The functions here
compute that record and that clock from an :class:`Incident`; nothing here does I/O.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from bccguard.core.held import HeldMessage
from bccguard.core.phrase import Phrase

NOTIFY_WITHIN = 72 * 3600.0  # GDPR Art. 33(1): 72 hours after becoming aware


class IncidentKind(StrEnum):
    """What happened to the message; stable ids, they appear in exports."""

    HELD = "held"
    CONVERTED = "converted"
    SENT_AS_IS = "sent-as-is"
    DISCARDED = "discarded"
    DETECTED_IN_SENT = "detected-in-sent"
    APOLOGY_SENT = "apology-sent"

    @property
    def exposed_anyone(self) -> bool:
        """True when the addresses did reach the recipients (a breach, not a save)."""
        return self in (IncidentKind.SENT_AS_IS, IncidentKind.DETECTED_IN_SENT)


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """One thing done about an incident, and when (seconds since the epoch)."""

    at: float
    action: str  # kebab-case, e.g. "held", "converted", "apology-sent"
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {"at": self.at, "action": self.action, "detail": self.detail}


def domain_counts(addresses: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """Addresses per domain (lower-cased), most first, then by name."""
    counts = Counter(a.rpartition("@")[2].lower() for a in addresses)
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True, slots=True)
class Incident:
    """One recorded incident: a message that exposed (or would have exposed) people."""

    id: str
    kind: IncidentKind
    created_at: float
    discovered_at: float
    message_id: str = ""
    subject: str = ""
    sender: str = ""
    exposed: tuple[str, ...] = ()
    domains: tuple[tuple[str, int], ...] = ()
    exposed_count: int = 0
    actions: tuple[IncidentEvent, ...] = ()
    reply_all_count: int = 0
    possibly_notifiable: bool = False
    notes: str = ""
    held_id: str = ""

    @classmethod
    def new(
        cls,
        kind: IncidentKind,
        at: float,
        *,
        exposed: Iterable[str] = (),
        message_id: str = "",
        subject: str = "",
        sender: str = "",
        discovered_at: float | None = None,
        notes: str = "",
        held_id: str = "",
    ) -> Incident:
        """A new incident (no id yet: the log assigns one) with its first action."""
        people = tuple(exposed)
        return cls(
            id="",
            kind=kind,
            created_at=at,
            discovered_at=at if discovered_at is None else discovered_at,
            message_id=message_id,
            subject=subject,
            sender=sender,
            exposed=people,
            domains=domain_counts(people),
            exposed_count=len(people),
            actions=(IncidentEvent(at, kind.value),),
            notes=notes,
            held_id=held_id,
        )

    @classmethod
    def from_held(cls, held: HeldMessage, kind: IncidentKind, at: float) -> Incident:
        """A new incident for a held message (the guard records holds this way)."""
        return replace(
            cls.new(
                kind,
                at,
                exposed=held.exposed,
                message_id=held.message_id,
                subject=held.subject,
                sender=held.mail_from,
                held_id=held.id,
            ),
            domains=held.domains,
            exposed_count=held.exposed_count,
        )

    def with_action(
        self, event: IncidentEvent, kind: IncidentKind | None = None
    ) -> Incident:
        """This incident with one more action (and the new kind, if given)."""
        return replace(
            self, actions=(*self.actions, event), kind=kind if kind else self.kind
        )

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (``incidents list --json`` and the JSON export)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "created_at": self.created_at,
            "discovered_at": self.discovered_at,
            "message_id": self.message_id,
            "subject": self.subject,
            "sender": self.sender,
            "exposed_count": self.exposed_count,
            "exposed": list(self.exposed),
            "domains": [[d, n] for d, n in self.domains],
            "actions": [a.to_json() for a in self.actions],
            "reply_all_count": self.reply_all_count,
            "possibly_notifiable": self.possibly_notifiable,
            "notes": self.notes,
            "held_id": self.held_id,
        }


@dataclass(frozen=True, slots=True)
class NotificationClock:
    """The Art. 33(1) clock of one incident at one moment."""

    deadline: float
    remaining: float  # negative once the deadline has passed

    @property
    def overdue(self) -> bool:
        """True once the 72 hours are over."""
        return self.remaining < 0


def notification_clock(incident: Incident, now: float) -> NotificationClock:
    """Deadline = discovered_at + 72 h, and what is left of it at ``now``."""
    deadline = incident.discovered_at + NOTIFY_WITHIN
    return NotificationClock(deadline=deadline, remaining=deadline - now)


def format_remaining(seconds: float) -> Phrase:
    """``41 h 12 min left`` or ``overdue by 3 h 05 min``: the clock for people."""
    minutes = int(abs(seconds) // 60)
    h, m = minutes // 60, f"{minutes % 60:02d}"
    if seconds >= 0:
        return Phrase("{h} h {m} min left", h=h, m=m)
    return Phrase("overdue by {h} h {m} min", h=h, m=m)


def iso_time(timestamp: float) -> str:
    """A moment as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


_FACTS = {
    IncidentKind.HELD: "A message with {n} recipients visible to each other was held "
    "before it left.",
    IncidentKind.CONVERTED: "A message with {n} recipients visible to each other was "
    "held and sent with everyone in Bcc instead.",
    IncidentKind.SENT_AS_IS: "A message was sent with {n} recipients' e-mail addresses "
    "visible to each other in To/Cc.",
    IncidentKind.DISCARDED: "A message with {n} recipients visible to each other was "
    "held and not sent.",
    IncidentKind.DETECTED_IN_SENT: "A sent message was found with {n} recipients' "
    "e-mail addresses visible to each other in To/Cc.",
    IncidentKind.APOLOGY_SENT: "An apology was sent about a message that showed {n} "
    "recipients' e-mail addresses to each other.",
}


def breach_record(incident: Incident, now: float) -> dict[str, Any]:
    """The Art. 33(5) facts of one incident, as plain data for the exports.

    Args:
        incident: The incident to document.
        now: The moment the record is made, for the 72-hour clock.

    Returns:
        What happened, when it happened and was discovered, how many people and
        which domains, the effects, what was done and when, and, for incidents
        marked possibly notifiable, the notification deadline and time left.
    """
    record: dict[str, Any] = {
        "id": incident.id,
        "kind": incident.kind.value,
        "what_happened": _FACTS[incident.kind].format(n=incident.exposed_count),
        "occurred_at": iso_time(incident.created_at),
        "discovered_at": iso_time(incident.discovered_at),
        "message_id": incident.message_id,
        "subject": incident.subject,
        "sender": incident.sender,
        "people_affected": incident.exposed_count,
        "data_concerned": "e-mail addresses (and display names) of the recipients",
        "domains": dict(incident.domains),
        "effects": _effects(incident),
        "actions_taken": [
            {"at": iso_time(a.at), "action": a.action, "detail": a.detail}
            for a in incident.actions
        ],
        "reply_all_count": incident.reply_all_count,
        "possibly_notifiable": incident.possibly_notifiable,
        "notes": incident.notes,
    }
    if incident.possibly_notifiable:
        clock = notification_clock(incident, now)
        record["notification_deadline"] = iso_time(clock.deadline)
        record["time_remaining"] = format_remaining(clock.remaining)
    return record


def _effects(incident: Incident) -> str:
    if (
        not incident.kind.exposed_anyone
        and incident.kind is not IncidentKind.APOLOGY_SENT
    ):
        return "None: the addresses were not disclosed."
    text = (
        f"{incident.exposed_count} people could see each other's e-mail address "
        f"(from {len(incident.domains)} domains)."
    )
    if incident.reply_all_count:
        text += f" {incident.reply_all_count} replies to all spread the list further."
    return text


class IncidentLogError(Exception):
    """The incident log cannot be read or written, or has no such incident."""


class IncidentLog(Protocol):
    """Where incidents are recorded; the guard, the CLI and the wizard use it."""

    def record(self, incident: Incident) -> Incident:
        """Store a new incident; returns it with its assigned id."""
        ...

    def add_action(
        self,
        incident_id: str,
        action: str,
        at: float,
        detail: str = "",
        *,
        kind: IncidentKind | None = None,
    ) -> Incident:
        """Append what was done (and optionally change the kind); returns the result."""
        ...

    def get(self, incident_id: str) -> Incident | None:
        """One incident, or None."""
        ...

    def list(self) -> builtins.list[Incident]:
        """Every incident, oldest first."""
        ...

    def mark_notifiable(
        self, incident_id: str, at: float, notifiable: bool = True
    ) -> Incident:
        """Flag (or unflag) an incident as possibly notifiable to the regulator."""
        ...

    def find_by_message_id(self, message_id: str) -> builtins.list[Incident]:
        """Incidents about the message with this Message-ID, oldest first."""
        ...
