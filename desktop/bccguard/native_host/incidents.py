"""Incidents the plugin reports: in the incident log (SQLite) that ``bccguard
incidents`` and ``bccguard apologize`` read, and as JSON lines beside it.

The id the plugin gets back is the incident log's, so "Write an apology" can open
the desktop composer for exactly that incident.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.adapters.private_files import open_private_append
from bccguard.core.incidents import Incident, IncidentKind

INCIDENTS_FILE = "plugin-incidents.jsonl"

# The plugin's hold outcomes, as incident kinds.
_HOLD_OUTCOMES = {
    "converted": IncidentKind.CONVERTED,
    "sent-anyway": IncidentKind.SENT_AS_IS,
    "sent-one-by-one": IncidentKind.CONVERTED,  # nobody saw anybody else
}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def as_incident(report: Mapping[str, Any], at: float) -> Incident:
    """The incident-log entry for what the plugin reports (unknown fields ignored)."""
    if report.get("kind") == "after-the-fact":
        kind = IncidentKind.DETECTED_IN_SENT
    else:
        kind = _HOLD_OUTCOMES.get(_text(report.get("outcome")), IncidentKind.HELD)
    exposed = report.get("exposed")
    people = (
        [a for a in exposed if isinstance(a, str)] if isinstance(exposed, list) else []
    )
    incident = Incident.new(
        kind,
        at,
        exposed=people,
        message_id=_text(report.get("message_id")),
        subject=_text(report.get("subject")),
        sender=_text(report.get("sender")),
        notes="reported by the Thunderbird plugin",
    )
    if people:
        return incident
    # Without the addresses: the counts the plugin gives ({domain: n} for a hold).
    domains = report.get("domains")
    counts = (
        tuple((d, n) for d, n in domains.items() if isinstance(d, str) and _count(n))
        if isinstance(domains, Mapping)
        else ()
    )
    count = _count(report.get("exposed_count")) or _count(report.get("visible_count"))
    return replace(incident, domains=counts, exposed_count=count)


def record_incident(home: Path, incident: dict[str, Any]) -> str:
    """Record ``incident`` in the incident log and the plugin's JSON lines; its id."""
    stored = SqliteIncidentLog.in_home(home).record(as_incident(incident, time.time()))
    entry = {
        **incident,
        "id": stored.id,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with open_private_append(home / INCIDENTS_FILE) as handle:  # 0600
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return stored.id
