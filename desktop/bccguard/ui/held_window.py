"""The list of held messages, with the same three answers as the hold dialog."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.ui.i18n import tr
from bccguard.ui.record_table import RecordTable


class HeldWindow(QWidget):
    """Every held message and its fate; waiting ones can be decided here."""

    def __init__(
        self,
        load: Callable[[], list[HeldMessage]],
        decide: Callable[[str, Resolution], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._decide = decide
        self.items: list[HeldMessage] = []
        self.setWindowTitle(tr("BccGuard — held messages"))
        self.resize(760, 360)
        self.table = RecordTable(
            [tr("Received"), tr("Subject"), tr("Exposed"), tr("State"), tr("Outcome")]
        )
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.empty = QLabel(tr("No held messages."))
        self.convert_button = QPushButton(tr("Convert to Bcc and send"))
        self.as_is_button = QPushButton(tr("Send as is"))
        self.discard_button = QPushButton(tr("Don't send"))
        self.convert_button.clicked.connect(lambda: self._answer(Resolution.BCC))
        self.as_is_button.clicked.connect(lambda: self._answer(Resolution.AS_IS))
        self.discard_button.clicked.connect(lambda: self._answer(Resolution.DISCARD))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.convert_button, self.as_is_button, self.discard_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        """Reload the list from the store."""
        self.items = list(reversed(self._load()))
        self.empty.setVisible(not self.items)
        rows = []
        for held in self.items:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(held.received_at))
            values = [
                when,
                held.subject,
                str(held.exposed_count),
                tr(held.state.value),
                held.outcome,
            ]
            rows.append(values)
        self.table.show_rows(rows)
        self._selection_changed()

    def selected(self) -> HeldMessage | None:
        """The held message of the selected row."""
        row = self.table.selected_row()
        return None if row is None else self.items[row]

    def _selection_changed(self) -> None:
        held = self.selected()
        open_ = held is not None and held.state in (HeldState.WAITING, HeldState.FAILED)
        for button in (self.convert_button, self.as_is_button, self.discard_button):
            button.setEnabled(open_)

    def _answer(self, resolution: Resolution) -> None:
        held = self.selected()
        if held is not None:
            self._decide(held.id, resolution)
