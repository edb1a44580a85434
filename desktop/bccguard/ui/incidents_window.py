"""The incident record: holds and outcomes, the 72-hour clock, export, apology."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bccguard.adapters.private_files import write_private
from bccguard.core.incident_export import ExportFormat, export_incidents
from bccguard.core.incidents import (
    Incident,
    IncidentKind,
    IncidentLog,
    IncidentLogError,
    format_remaining,
    notification_clock,
)
from bccguard.ui.i18n import N_, tr, tr_phrase
from bccguard.ui.record_table import RecordTable

_KIND_TEXT = {
    IncidentKind.HELD: N_("Held, not decided"),
    IncidentKind.CONVERTED: N_("Converted to Bcc"),
    IncidentKind.SENT_AS_IS: N_("Sent as is"),
    IncidentKind.DISCARDED: N_("Not sent"),
    IncidentKind.DETECTED_IN_SENT: N_("Found in Sent"),
    IncidentKind.APOLOGY_SENT: N_("Apology sent"),
}

CLOCK_COLUMN = 4


def remaining_text(seconds: float) -> str:
    """``41 h 12 min left`` or ``overdue by 3 h 05 min``, in the UI's language."""
    return tr_phrase(format_remaining(seconds))


_EXPORT_FILTERS = {
    ExportFormat.MD: N_("Breach record (*.md)"),
    ExportFormat.CSV: N_("Spreadsheet (*.csv)"),
    ExportFormat.JSON: N_("JSON (*.json)"),
}


def export_folder() -> Path:
    """Where an export starts: the user's Documents folder, else the home folder."""
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    )
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()


class IncidentsWindow(QWidget):
    """Lists incidents, newest first; the apology starts from here."""

    def __init__(
        self,
        log: IncidentLog,
        apologize: Callable[[Incident], object],
        *,
        clock: Callable[[], float] = time.time,
        tick_ms: int = 10_000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._log = log
        self._apologize = apologize
        self._clock = clock
        self.items: list[Incident] = []
        self.setWindowTitle(tr("BccGuard — incidents"))
        self.resize(860, 380)
        self.empty = QLabel(tr("No incidents recorded."))
        self.table = RecordTable(
            [
                tr("When"),
                tr("Subject"),
                tr("What happened"),
                tr("Exposed"),
                tr("72-hour clock"),
            ]
        )
        # Long subjects are cut (the cell's tooltip has them whole): no sideways
        # scrolling, and the clock column stays in view.
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        fit, stretch = (
            QHeaderView.ResizeMode.ResizeToContents,
            QHeaderView.ResizeMode.Stretch,
        )
        for column, mode in enumerate((fit, stretch, fit, fit, fit)):
            header.setSectionResizeMode(column, mode)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.apology_button = QPushButton(tr("Write an apology…"))
        self.notifiable_button = QPushButton(tr("May need notifying"))
        self.notifiable_button.setToolTip(
            tr("Starts the 72-hour clock of GDPR Art. 33 for this incident")
        )
        self.export_button = QPushButton(tr("Export breach record…"))
        self.apology_button.clicked.connect(self._apology)
        self.notifiable_button.clicked.connect(self._mark_notifiable)
        self.export_button.clicked.connect(self._export)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(self.notifiable_button)
        buttons.addWidget(self.apology_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.status.hide()
        layout.addWidget(self.status)
        # The 72-hour clock counts down while the window is open.
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(tick_ms)
        self.clock_timer.timeout.connect(self.tick)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Visible: the clock column counts down."""
        super().showEvent(event)
        self.tick()
        self.clock_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        """Hidden: nothing to count down on screen."""
        self.clock_timer.stop()
        super().hideEvent(event)

    def _clock_text(self, incident: Incident, now: float) -> str:
        if not incident.possibly_notifiable:
            return ""
        return remaining_text(notification_clock(incident, now).remaining)

    def tick(self) -> None:
        """Recompute the 72-hour clock of every row from the time now."""
        now = self._clock()
        for row, incident in enumerate(self.items):
            item = self.table.item(row, CLOCK_COLUMN)
            text = self._clock_text(incident, now)
            if item is not None and item.text() != text:
                item.setText(text)

    def refresh(self) -> None:
        """Reload from the incident log."""
        try:
            self.items = list(reversed(self._log.list()))
        except IncidentLogError as error:
            self.items = []
            self.empty.setText(tr("The incident record cannot be read: {e}", e=error))
        self.empty.setVisible(not self.items)
        now = self._clock()
        rows = []
        for incident in self.items:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(incident.created_at))
            clock = self._clock_text(incident, now)
            values = [
                when,
                incident.subject,
                tr(_KIND_TEXT.get(incident.kind, incident.kind.value)),
                str(incident.exposed_count),
                clock,
            ]
            rows.append(values)
        # Not RecordTable.show_rows: its resizeColumnsToContents would undo the
        # stretched Subject column; the other columns fit their contents anyway.
        self.table.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 1:
                    item.setToolTip(value)
                self.table.setItem(row, column, item)
        self._selection_changed()

    def selected(self) -> Incident | None:
        """The incident of the selected row."""
        row = self.table.selected_row()
        return None if row is None else self.items[row]

    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        self.apology_button.setEnabled(chosen)
        self.notifiable_button.setEnabled(chosen)
        self.export_button.setEnabled(bool(self.items))

    def select_held(self, held_id: str) -> Incident | None:
        """Select the incident of held message ``held_id`` (e.g. from a
        notification); one sent as is first."""
        rows = [r for r, i in enumerate(self.items) if i.held_id == held_id]
        rows.sort(key=lambda r: self.items[r].kind is not IncidentKind.SENT_AS_IS)
        if not rows:
            return None
        self.table.selectRow(rows[0])
        self.table.scrollTo(self.table.model().index(rows[0], 0))
        return self.items[rows[0]]

    def _apology(self) -> None:
        incident = self.selected()
        if incident is not None:
            self._apologize(incident)

    def _mark_notifiable(self) -> None:
        incident = self.selected()
        if incident is None:
            return
        try:
            self._log.mark_notifiable(incident.id, self._clock())
        except IncidentLogError as error:
            QMessageBox.warning(self, tr("Not saved"), str(error))
        self.refresh()

    def _export(self) -> None:
        name, chosen = QFileDialog.getSaveFileName(
            self,
            tr("Export the breach record"),
            str(export_folder() / "bccguard-incidents.md"),
            ";;".join(tr(text) for text in _EXPORT_FILTERS.values()),
        )
        if name:
            self.export_to(Path(name), _format_for(name, chosen))

    def export_to(self, path: Path, fmt: ExportFormat) -> None:
        """Write every incident to ``path`` in ``fmt``, readable only by the user
        (a breach record names the people exposed)."""
        try:
            data = export_incidents(self._log.list(), fmt, self._clock())
            write_private(path, data)
        except (OSError, IncidentLogError) as error:
            text = error.strerror if isinstance(error, OSError) else None
            self._say(tr("Not saved: {error}", error=text or str(error)))
            return
        self._say(
            tr("Breach record saved to {path} (only you can read it).", path=str(path))
        )

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))


def _format_for(name: str, chosen_filter: str) -> ExportFormat:
    suffix = Path(name).suffix.lstrip(".").lower()
    if suffix in {f.value for f in ExportFormat}:
        return ExportFormat(suffix)
    for fmt, text in _EXPORT_FILTERS.items():
        if tr(text) == chosen_filter:
            return fmt
    return ExportFormat.MD
