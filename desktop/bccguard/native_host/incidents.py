"""Incidents the plugin reports, as JSON lines until the incident store takes over."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

INCIDENTS_FILE = "plugin-incidents.jsonl"


def record_incident(home: Path, incident: dict[str, Any]) -> str:
    """Append ``incident`` to the plugin's incident log; returns its new id."""
    incident_id = uuid.uuid4().hex
    entry = {
        **incident,
        "id": incident_id,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with (home / INCIDENTS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return incident_id
