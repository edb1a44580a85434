"""The incidents window's 72-hour clock counts down while the window is open."""

from __future__ import annotations

from pathlib import Path

import pytest

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.core.incidents import Incident, IncidentKind
from bccguard.ui.i18n import set_language
from bccguard.ui.incidents_window import CLOCK_COLUMN, IncidentsWindow, remaining_text

pytestmark = pytest.mark.gui

START = 1_741_945_000.0


def notifiable_log(tmp_path: Path) -> SqliteIncidentLog:
    log = SqliteIncidentLog.in_home(tmp_path)
    incident = log.record(
        Incident.new(
            IncidentKind.SENT_AS_IS,
            START,
            exposed=[f"p{i}@d.example" for i in range(25)],
            subject="Party",
        )
    )
    log.mark_notifiable(incident.id, START)
    return log


def test_the_clock_ticks(qtbot, tmp_path: Path) -> None:
    now = [START + 120]
    window = IncidentsWindow(
        notifiable_log(tmp_path), lambda i: None, clock=lambda: now[0], tick_ms=20
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    def clock() -> str:
        return window.table.item(0, CLOCK_COLUMN).text()

    assert clock() == "71 h 58 min left"
    now[0] = START + 11 * 60 + 120
    qtbot.waitUntil(lambda: clock() == "71 h 47 min left", timeout=2000)
    now[0] = START + 73 * 3600
    qtbot.waitUntil(lambda: clock() == "overdue by 1 h 00 min", timeout=2000)


def test_the_clock_keeps_the_selection(qtbot, tmp_path: Path) -> None:
    now = [START]
    window = IncidentsWindow(
        notifiable_log(tmp_path), lambda i: None, clock=lambda: now[0], tick_ms=60_000
    )
    qtbot.addWidget(window)
    window.show()
    window.table.selectRow(0)
    now[0] += 3600
    window.tick()
    assert window.table.item(0, CLOCK_COLUMN).text() == "71 h 00 min left"
    assert window.selected() is not None
    assert window.clock_timer.isActive()
    window.hide()
    assert not window.clock_timer.isActive()


def test_the_clock_in_italian() -> None:
    set_language("it")
    try:
        assert remaining_text(3 * 3600 + 5 * 60) == "mancano 3 h 05 min"
        assert remaining_text(-61 * 60) == "scaduto da 1 h 01 min"
    finally:
        set_language("en")
