"""Held messages as values: what was held, why, and what the user decided."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from bccguard.core.verdict import Verdict


class Resolution(StrEnum):
    """The user's answer to a held message."""

    BCC = "bcc"  # convert to Bcc, then send
    AS_IS = "as-is"  # send as it is
    DISCARD = "discard"  # do not send


class HeldState(StrEnum):
    """Where a held message stands."""

    WAITING = "waiting"
    SENDING = "sending"
    SENT = "sent"
    PARTLY_SENT = "partly-sent"
    FAILED = "failed"
    DISCARDED = "discarded"

    @property
    def final(self) -> bool:
        """True once nothing more will happen to the message."""
        return self in (HeldState.SENT, HeldState.DISCARDED)


def dedup_key(message_id: str, recipients: Sequence[str], data: bytes) -> str:
    """Identity of a submission: a client's retry of the same message has the same key.

    Message-ID plus the body and the envelope: a retry may re-stamp headers such as
    Date, but keeps these.
    """
    digest = hashlib.sha256()
    digest.update(message_id.strip().encode("utf-8", "replace"))
    for rcpt in sorted(r.lower() for r in recipients):
        digest.update(b"\0" + rcpt.encode("utf-8", "replace"))
    split = data.find(b"\r\n\r\n")
    body = data[split:] if split >= 0 and message_id.strip() else data
    digest.update(b"\0\0" + body)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """One held submission: its envelope, what the check found, and its fate."""

    id: str
    received_at: float
    mail_from: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str
    key: str
    size: int
    visible_count: int
    exposed_count: int
    threshold: int
    domains: tuple[tuple[str, int], ...]
    exposed: tuple[str, ...]
    reasons: tuple[str, ...]
    state: HeldState = HeldState.WAITING
    resolution: Resolution | None = None
    decided_at: float | None = None
    outcome: str = ""

    @classmethod
    def from_verdict(
        cls,
        *,
        held_id: str,
        received_at: float,
        mail_from: str,
        recipients: Sequence[str],
        data: bytes,
        verdict: Verdict,
    ) -> HeldMessage:
        """A new waiting record for a message the check held."""
        message = verdict.message
        return cls(
            id=held_id,
            received_at=received_at,
            mail_from=mail_from,
            recipients=tuple(recipients),
            subject=message.subject,
            message_id=message.message_id,
            key=dedup_key(message.message_id, recipients, data),
            size=len(data),
            visible_count=len(message.visible),
            exposed_count=len(verdict.exposed),
            threshold=verdict.threshold,
            domains=tuple(verdict.exposed_domains()),
            exposed=tuple(a.addr for a in verdict.exposed),
            reasons=verdict.reasons,
        )

    def decided(self, resolution: Resolution, at: float) -> HeldMessage:
        """This record with the user's decision."""
        state = (
            HeldState.DISCARDED
            if resolution is Resolution.DISCARD
            else HeldState.SENDING
        )
        return replace(self, resolution=resolution, decided_at=at, state=state)

    def finished(self, state: HeldState, outcome: str) -> HeldMessage:
        """This record after the relay (or the discard) is done."""
        return replace(self, state=state, outcome=outcome)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (the store's meta file and ``held list --json``)."""
        data = asdict(self)
        data["recipients"] = list(self.recipients)
        data["domains"] = [list(d) for d in self.domains]
        data["exposed"] = list(self.exposed)
        data["reasons"] = list(self.reasons)
        data["state"] = self.state.value
        data["resolution"] = self.resolution.value if self.resolution else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeldMessage:
        """The inverse of :meth:`to_json`."""
        values = dict(data)
        values["recipients"] = tuple(values["recipients"])
        values["domains"] = tuple((str(d), int(n)) for d, n in values["domains"])
        values["exposed"] = tuple(values["exposed"])
        values["reasons"] = tuple(values["reasons"])
        values["state"] = HeldState(values["state"])
        resolution = values.get("resolution")
        values["resolution"] = Resolution(resolution) if resolution else None
        return cls(**values)
