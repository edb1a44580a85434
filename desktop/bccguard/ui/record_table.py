"""A read-only table of records (held messages, incidents), one row each."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget


class RecordTable(QTableWidget):
    """Whole-row selection, no editing, the last column stretched."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(0, len(headers), parent)
        self.setHorizontalHeaderLabels(list(headers))
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setStretchLastSection(True)

    def show_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Replace the contents with ``rows`` of texts."""
        self.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.setItem(row, column, QTableWidgetItem(value))
        self.resizeColumnsToContents()

    def selected_row(self) -> int | None:
        """The first selected row, if any."""
        rows = {index.row() for index in self.selectedIndexes()}
        return min(rows) if rows else None
