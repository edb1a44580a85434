"""A decision made the moment a message is held still reaches the incident record.

The hold's incident must be written before anyone can see the held message: a user
(or a script) answering at once would otherwise have its outcome looked up before
the incident existed, and lost.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.core.held import Resolution
from bccguard.core.incidents import Incident, IncidentKind
from tests.service.test_guard import decide_when_held, mass_mail, recipients, submit
from tests.support import GuardFactory


class SlowIncidentLog(SqliteIncidentLog):
    """An incident log on a slow disk: each new incident takes a while to write."""

    def record(self, incident: Incident) -> None:
        time.sleep(0.3)
        super().record(incident)


@pytest.mark.parametrize(
    ("resolution", "kind"),
    [
        (Resolution.DISCARD, IncidentKind.DISCARDED),
        (Resolution.BCC, IncidentKind.CONVERTED),
    ],
)
def test_an_answer_given_at_once_is_recorded(
    make_guard: GuardFactory,
    tmp_path: Path,
    resolution: Resolution,
    kind: IncidentKind,
) -> None:
    log = SlowIncidentLog(tmp_path / "incidents.sqlite3")
    guard = make_guard(incidents=log)
    thread = decide_when_held(guard, resolution)
    submit(guard, mass_mail(30), recipients(30))
    thread.join()
    (incident,) = log.list()
    assert incident.kind is kind
    assert [a.action for a in incident.actions][-1] == resolution.value
