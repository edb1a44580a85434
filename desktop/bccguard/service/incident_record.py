"""What the hold engine writes to the incident record: every hold, and its outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bccguard.core.held import HeldMessage, HeldState, Origin, Resolution
from bccguard.core.incidents import (
    Incident,
    IncidentKind,
    IncidentLog,
    IncidentLogError,
)
from bccguard.core.verdict import Verdict

log = logging.getLogger(__name__)

_KINDS = {
    Resolution.BCC: IncidentKind.CONVERTED,
    Resolution.AS_IS: IncidentKind.SENT_AS_IS,
    Resolution.DISCARD: IncidentKind.DISCARDED,
    # One copy each: nobody saw anybody else's address, as with Bcc.
    Resolution.INDIVIDUALLY: IncidentKind.CONVERTED,
}
_DONE = (HeldState.SENT, HeldState.PARTLY_SENT, HeldState.DISCARDED)


class IncidentRecorder:
    """Keeps the incident log in step with held messages; never raises."""

    def __init__(self, incidents: IncidentLog | None, clock: Callable[[], float]):
        self.incidents = incidents
        self._clock = clock

    def held(self, held: HeldMessage) -> None:
        """Every hold is an incident (a near miss until it is sent as it is)."""
        if self.incidents is None or held.origin is not Origin.HELD:
            return
        try:
            self.incidents.record(
                Incident.from_held(held, IncidentKind.HELD, self._clock())
            )
        except IncidentLogError:
            log.exception("could not record the hold of %s", held.id)

    def sent_as_decided_elsewhere(
        self, verdict: Verdict, mail_from: str, where: str
    ) -> None:
        """The user chose "send as is" in another program (Thunderbird)."""
        if self.incidents is None:
            return
        message = verdict.message
        try:
            self.incidents.record(
                Incident.new(
                    IncidentKind.SENT_AS_IS,
                    self._clock(),
                    exposed=[a.addr for a in verdict.exposed],
                    message_id=message.message_id,
                    subject=message.subject,
                    sender=mail_from,
                    notes=f"sent as is: chosen in {where}",
                )
            )
        except IncidentLogError:
            log.exception("could not record %s", message.message_id)

    def outcome(self, held: HeldMessage) -> None:
        """The decision on a held message was carried out (or failed)."""
        if self.incidents is None or held.resolution not in _KINDS:
            return
        resolution = held.resolution
        assert resolution is not None
        ok = held.state in _DONE
        try:
            found = [
                i
                for i in self.incidents.find_by_message_id(held.message_id)
                if i.held_id == held.id
            ]
            if not found:
                return
            self.incidents.add_action(
                found[-1].id,
                resolution.value if ok else f"{resolution.value} failed",
                self._clock(),
                held.outcome,
                kind=_KINDS[resolution] if ok else None,
            )
        except IncidentLogError:
            log.exception("could not record the outcome of %s", held.id)
