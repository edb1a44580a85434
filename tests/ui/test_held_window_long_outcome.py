"""A long outcome is read whole in the Held window's list: its row wraps, in Italian
(the longer) as in English; the tooltip has it too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication

from bccguard.ui.held_window import HeldWindow, outcome_summary
from bccguard.ui.i18n import set_language
from tests.ui.held_records import NOW, in_state

pytestmark = pytest.mark.gui

OUTCOME = 4


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    yield
    set_language("en")


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_long_outcome_is_not_cut_off(qtbot, qapp: QApplication, lang: str) -> None:  # type: ignore[no-untyped-def]
    set_language(lang)
    subject = (
        "Minutes of the annual general meeting and the new budget for next year, "
        "with the list of volunteers"
    )
    records = [
        replace(in_state("queued", held_id="q1"), subject=subject),
        replace(in_state("partly-sent", held_id="p1"), subject=subject),
        in_state("sent", held_id="s1"),
    ]
    window = HeldWindow(lambda: records, lambda i, r: None, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.show()
    qapp.processEvents()
    table = window.table
    metrics = table.fontMetrics()
    for row, held in enumerate(reversed(records)):
        for column in (1, OUTCOME):
            item = table.item(row, column)
            assert item is not None
            cell = table.visualRect(table.model().index(row, column))
            room = QRect(cell.adjusted(4, 0, -4, 0))  # the cell's own padding
            needed = metrics.boundingRect(
                room, int(Qt.TextFlag.TextWordWrap), item.text()
            )
            assert needed.height() <= cell.height(), (lang, item.text())
            assert needed.width() <= room.width(), (lang, item.text())
        outcome = table.item(row, OUTCOME)
        assert outcome is not None
        assert outcome.toolTip().startswith(outcome_summary(held, NOW))
