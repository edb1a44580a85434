"""The "check this draft" window: drop or open an .eml, or paste headers/addresses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bccguard.adapters.imap_connection import ImapError
from bccguard.core.bcc_conversion import ConversionError, ToStyle, to_draft_bcc
from bccguard.core.message import read_message
from bccguard.core.pasted import message_from_paste
from bccguard.core.phrase import Phrase
from bccguard.core.policy import Policy
from bccguard.core.verdict import Verdict, check
from bccguard.ui.draft_picker import DraftPicker, DraftSource
from bccguard.ui.i18n import tr, tr_error, tr_phrase

_PASS_STYLE = "background: #e6f4ea; color: #0d652d; padding: 10px; border-radius: 4px;"
_HOLD_STYLE = "background: #fef7e0; color: #8a4b00; padding: 10px; border-radius: 4px;"


@contextmanager
def _busy() -> Iterator[None]:
    """A wait cursor while the server answers."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


class CheckWindow(QWidget):
    """Shows who would see whom in one message, and converts it to Bcc."""

    def __init__(
        self,
        policy: Callable[[], Policy],
        to_style: Callable[[], ToStyle] = lambda: ToStyle.SENDER,
        drafts: DraftSource | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._policy = policy
        self._to_style = to_style
        self._drafts = drafts
        self.draft_uid: int | None = None  # set while a server draft is shown
        self.raw: bytes | None = None
        self.verdict: Verdict | None = None
        self.setWindowTitle(tr("BccGuard — check a message"))
        self.setAcceptDrops(True)
        self.resize(720, 640)

        hint = QLabel(
            tr(
                "Drop an .eml file here, open one, or paste headers or a list of "
                "addresses."
            )
        )
        hint.setWordWrap(True)
        self.open_button = QPushButton(tr("Open .eml…"))
        self.open_button.clicked.connect(self._choose_file)
        self.drafts_button = QPushButton(tr("From Drafts…"))
        self.drafts_button.setVisible(drafts is not None)
        self.drafts_button.clicked.connect(self._choose_draft)
        self.convert_button = QPushButton(tr("Convert to Bcc and save…"))
        self.convert_button.setEnabled(False)
        self.convert_button.clicked.connect(self._convert)
        self.source_label = QLabel()
        self.paste = QPlainTextEdit()
        self.paste.setPlaceholderText(
            "To: Alice <alice@example.org>, bob@example.com\n…"
        )
        self.paste.setMaximumHeight(130)
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self._check_paste)
        self.paste.textChanged.connect(self._debounce.start)

        self.banner = QLabel(tr("Nothing checked yet."))
        self.banner.setWordWrap(True)
        font = self.banner.font()
        font.setWeight(QFont.Weight.Bold)
        self.banner.setFont(font)
        self.counts: dict[str, QLabel] = {}
        grid = QGridLayout()
        names = {
            "visible": tr("Visible"),
            "hidden": tr("Hidden"),
            "exposed": tr("Exposed"),
            "threshold": tr("Threshold"),
        }
        for column, (key, title) in enumerate(names.items()):
            value = QLabel("–")
            big = value.font()
            big.setPointSizeF(big.pointSizeF() * 1.8)
            value.setFont(big)
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption = QLabel(title)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(value, 0, column)
            grid.addWidget(caption, 1, column)
            self.counts[key] = value
        self.domains = QTableWidget(0, 2)
        self.domains.setHorizontalHeaderLabels([tr("Exposed domain"), tr("People")])
        self.domains.horizontalHeader().setStretchLastSection(True)
        self.domains.setColumnWidth(0, 320)
        self.domains.verticalHeader().setVisible(False)
        self.domains.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.reasons = QListWidget()
        self.reasons.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.drafts_button)
        top.addWidget(self.source_label, 1)
        top.addWidget(self.convert_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(top)
        layout.addWidget(self.paste)
        layout.addWidget(self.banner)
        layout.addLayout(grid)
        layout.addWidget(QLabel(tr("Domains")))
        layout.addWidget(self.domains, 2)
        layout.addWidget(QLabel(tr("Why")))
        layout.addWidget(self.reasons, 1)

    # -- input -------------------------------------------------------------------

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, tr("Open a message"), "", tr("E-mail messages (*.eml);;All files (*)")
        )
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path) -> None:
        """Check the message in ``path``."""
        try:
            raw = path.read_bytes()
        except OSError as error:
            QMessageBox.warning(self, tr("Cannot open"), f"{path}: {error.strerror}")
            return
        self.draft_uid = None
        self._show_source(
            tr("Showing the file {name}", name=path.name), str(path), path.name
        )
        self.show_message(raw)

    def _show_source(self, text: str, tip: str = "", title: str = "") -> None:
        """Say what is shown; a file or a draft replaces text pasted before."""
        if title:
            self._debounce.stop()
            with QSignalBlocker(self.paste):
                self.paste.clear()
        self.source_label.setText(text)
        self.source_label.setToolTip(tip)
        if self.draft_uid is None:
            self.convert_button.setText(tr("Convert to Bcc and save…"))
        base = tr("BccGuard — check a message")
        self.setWindowTitle(f"{base} — {title}" if title else base)

    def _choose_draft(self) -> None:
        if self._drafts is None:
            return
        try:
            with _busy():
                drafts = self._drafts.list()
        except ImapError as error:
            QMessageBox.warning(self, tr("Drafts not available"), str(error))
            return
        picker = DraftPicker(drafts, self)
        uid = picker.chosen_uid() if picker.exec() else None
        if uid is not None:
            self.load_draft(uid)

    def load_draft(self, uid: int) -> None:
        """Check the server draft ``uid``; Convert then replaces it on the server."""
        if self._drafts is None:
            return
        try:
            with _busy():
                raw = self._drafts.fetch(uid)
        except ImapError as error:
            QMessageBox.warning(self, tr("Drafts not available"), str(error))
            return
        self.draft_uid = uid
        where = tr("draft in {account}", account=self._drafts.name)
        self._show_source(where, title=where)
        self.convert_button.setText(tr("Convert to Bcc in Drafts"))
        self.show_message(raw)

    def _check_paste(self) -> None:
        text = self.paste.toPlainText()
        if text.strip():
            self.draft_uid = None
            self._show_source(tr("pasted text"))
            self.show_message(message_from_paste(text))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept dropped files."""
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Check the first dropped file."""
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.load_file(Path(urls[0].toLocalFile()))

    # -- output ------------------------------------------------------------------

    def show_message(self, raw: bytes) -> None:
        """Check ``raw`` and show the result."""
        self.raw = raw
        verdict = check(read_message(raw), self._policy())
        self.verdict = verdict
        data = verdict.to_json()
        held = verdict.held
        self.banner.setStyleSheet(_HOLD_STYLE if held else _PASS_STYLE)
        self.banner.setText(
            tr("Would be held: {reason}", reason=tr_phrase(verdict.reasons[0]))
            if held
            else tr("Fine to send: nobody is exposed beyond the threshold.")
        )
        self.counts["visible"].setText(str(data["visible_count"]))
        self.counts["hidden"].setText(str(data["hidden_count"]))
        self.counts["exposed"].setText(str(data["exposed_count"]))
        self.counts["threshold"].setText(str(data["threshold"]))
        domains = verdict.exposed_domains()
        self.domains.setRowCount(len(domains))
        for row, (domain, count) in enumerate(domains):
            self.domains.setItem(row, 0, QTableWidgetItem(domain))
            self.domains.setItem(row, 1, QTableWidgetItem(str(count)))
        self.reasons.clear()
        self.reasons.addItems([tr_phrase(reason) for reason in verdict.reasons])
        self.convert_button.setEnabled(bool(verdict.message.visible))

    def replace_draft(self, data: bytes) -> None:
        """Put the converted draft in place of the one on the server."""
        assert self._drafts is not None and self.draft_uid is not None
        try:
            with _busy():
                self._drafts.replace(self.draft_uid, data)
        except ImapError as error:
            QMessageBox.warning(self, tr("Not converted"), tr_error(error))
            return
        self.draft_uid = None
        self.convert_button.setText(tr("Convert to Bcc and save…"))
        self.source_label.setText(tr("the draft on the server now uses Bcc"))
        self.show_message(data)

    def converted(self) -> bytes:
        """The loaded message in draft Bcc form (raises ConversionError)."""
        if self.raw is None:
            raise ConversionError(Phrase("no message loaded"))
        return to_draft_bcc(self.raw, self._to_style())

    def _convert(self) -> None:
        try:
            data = self.converted()
        except ConversionError as error:
            QMessageBox.warning(self, tr("Not converted"), tr_error(error))
            return
        if self.draft_uid is not None and self._drafts is not None:
            self.replace_draft(data)
            return
        name, _ = QFileDialog.getSaveFileName(
            self,
            tr("Save the converted message"),
            "converted.eml",
            tr("E-mail messages (*.eml)"),
        )
        if name:
            Path(name).write_bytes(data)
            self.source_label.setText(tr("saved {name}", name=Path(name).name))
