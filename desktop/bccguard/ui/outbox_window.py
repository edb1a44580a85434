"""The demo outbox: what the built-in sink received, as recipients' servers would."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QListWidget,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from bccguard.ui.i18n import tr


class OutboxWindow(QWidget):
    """Lists delivered demo messages; shows the envelope and the headers of one."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.setWindowTitle(tr("BccGuard — demo outbox"))
        self.resize(860, 520)
        self.list = QListWidget()
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.list.currentTextChanged.connect(self._show)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(self.view)
        splitter.setSizes([180, 680])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.refresh()

    def refresh(self) -> None:
        """Reload the folder and show the newest message."""
        self.list.clear()
        names = sorted(p.name for p in self.folder.glob("*.eml"))
        self.list.addItems(names)
        if names:
            self.list.setCurrentRow(len(names) - 1)
        else:
            self.view.setPlainText(tr("Nothing has arrived yet."))

    def _show(self, name: str) -> None:
        if not name:
            return
        path = self.folder / name
        envelope = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        header = path.read_bytes().partition(b"\r\n\r\n")[0].decode("utf-8", "replace")
        rcpts = envelope["rcpt_to"]
        text = (
            tr(
                "Envelope: from {sender} to {n} recipients",
                sender=envelope["mail_from"],
                n=len(rcpts),
            )
            + "\n"
            + ", ".join(rcpts)
            + "\n\n"
            + tr("Headers the recipients see:")
            + "\n\n"
            + header
        )
        self.view.setPlainText(text)
