"""Picking a draft from an account's IMAP Drafts folder for the check window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bccguard.adapters.imap_mailbox import DraftSummary
from bccguard.core.message import read_message
from bccguard.ui.i18n import tr


class DraftSource(Protocol):
    """An account's Drafts folder, as the check window uses it."""

    name: str

    def list(self) -> Sequence[DraftSummary]:
        """The newest drafts, headers only."""
        ...

    def fetch(self, uid: int) -> bytes:
        """One whole draft."""
        ...

    def replace(self, uid: int, data: bytes) -> str:
        """Put ``data`` in place of draft ``uid``; a short result text."""
        ...


class DraftPicker(QDialog):
    """Lists drafts with how many people each shows; returns the chosen UID."""

    def __init__(self, drafts: Sequence[DraftSummary], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Pick a draft"))
        self.resize(560, 360)
        self.list = QListWidget()
        for draft in drafts:
            shown = len(read_message(draft.header).visible)
            text = tr(
                "{subject} — {n} visible recipients ({date})",
                subject=draft.subject or tr("(no subject)"),
                n=shown,
                date=draft.date,
            )
            item = QListWidgetItem(text)
            item.setData(256, draft.uid)  # Qt.UserRole
            self.list.addItem(item)
        if drafts:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open
            | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Drafts saved on the server, newest first:")))
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def chosen_uid(self) -> int | None:
        """The UID of the selected draft."""
        item = self.list.currentItem()
        return None if item is None else int(item.data(256))
