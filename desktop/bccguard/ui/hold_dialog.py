"""The hold dialog: who would see whom, and three big answers."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bccguard.core.held import HeldMessage, Resolution
from bccguard.ui.i18n import tr

Decide = Callable[[str, Resolution], None]


def _domains_text(held: HeldMessage, shown: int = 6) -> str:
    parts = [f"{domain} ({count})" for domain, count in held.domains[:shown]]
    rest = len(held.domains) - shown
    if rest > 0:
        parts.append(tr("and {n} more", n=rest))
    return ", ".join(parts)


class HoldDialog(QDialog):
    """Asks what to do with one held message; the answer goes to ``decide``."""

    def __init__(
        self,
        held: HeldMessage,
        decide: Decide,
        *,
        deadline: float | None = None,
        always_convert: Callable[[HeldMessage], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.held = held
        self._decide = decide
        self._deadline = deadline
        self._always_convert = always_convert
        self.decision: Resolution | None = None
        self.setWindowTitle(tr("BccGuard held a message"))
        self.setMinimumWidth(560)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)

        headline = QLabel(
            tr("{n} people would see each other's e-mail address", n=held.exposed_count)
        )
        font = headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.Bold)
        headline.setFont(font)
        headline.setWordWrap(True)
        subject = QLabel(
            tr("Subject: {subject}", subject=held.subject or tr("(no subject)"))
        )
        subject.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        domains = QLabel(tr("Domains: {domains}", domains=_domains_text(held)))
        domains.setWordWrap(True)
        explain = QLabel(
            tr(
                "More than {threshold} recipients who may not know each other are in "
                "To/Cc. Bcc keeps their addresses private.",
                threshold=held.threshold,
            )
        )
        explain.setWordWrap(True)

        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Search the recipients…"))
        self.search.setClearButtonEnabled(True)
        self.recipients = QListWidget()
        self.recipients.addItems(list(held.exposed))
        self.search.textChanged.connect(self._filter)

        self.countdown = QLabel()
        self.countdown.setStyleSheet("color: #5f6368;")

        self.convert_button = QPushButton(tr("Convert to Bcc and send"))
        self.as_is_button = QPushButton(tr("Send as is"))
        self.discard_button = QPushButton(tr("Don't send"))
        for button in (self.convert_button, self.as_is_button, self.discard_button):
            button.setMinimumHeight(40)
            button.setAutoDefault(False)
        self.convert_button.setDefault(True)
        self.convert_button.setStyleSheet(
            "QPushButton { background: #1e8e3e; color: white; font-weight: bold;"
            " padding: 0 18px; border-radius: 4px; }"
            "QPushButton:focus { border: 2px solid #0b3d1a; }"
        )
        self.convert_button.setToolTip(
            tr("Everyone moves to Bcc; To becomes you (Enter)")
        )
        self.as_is_button.setToolTip(tr("Everyone will see everyone's address (Alt+S)"))
        self.discard_button.setToolTip(
            tr("Nothing is sent; your mail program keeps it (Alt+D)")
        )
        self.convert_button.clicked.connect(lambda: self._answer(Resolution.BCC))
        self.as_is_button.clicked.connect(lambda: self._answer(Resolution.AS_IS))
        self.discard_button.clicked.connect(lambda: self._answer(Resolution.DISCARD))
        QShortcut(QKeySequence("Alt+S"), self, self.as_is_button.click)
        QShortcut(QKeySequence("Alt+D"), self, self.discard_button.click)

        # Offered only for converting: "always send as is" would switch the guard off.
        self.always = QCheckBox(
            tr(
                "Always convert mail from {sender} to Bcc without asking",
                sender=held.mail_from,
            )
        )
        self.always.setVisible(always_convert is not None)

        buttons = QHBoxLayout()
        buttons.addWidget(self.convert_button, 2)
        buttons.addWidget(self.as_is_button, 1)
        buttons.addWidget(self.discard_button, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(subject)
        layout.addWidget(domains)
        layout.addWidget(explain)
        layout.addWidget(self.search)
        layout.addWidget(self.recipients, 1)
        layout.addWidget(self.countdown)
        layout.addWidget(self.always)
        layout.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)
        self._tick()
        self.convert_button.setFocus()

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.recipients.count()):
            item = self.recipients.item(row)
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def visible_recipients(self) -> list[str]:
        """The addresses the search leaves in the list."""
        return [
            self.recipients.item(r).text()
            for r in range(self.recipients.count())
            if not self.recipients.item(r).isHidden()
        ]

    def _tick(self) -> None:
        if self._deadline is None:
            self.countdown.setText(
                tr("The message waits in BccGuard until you decide.")
            )
            return
        left = int(self._deadline - time.time())
        if left > 0:
            self.countdown.setText(
                tr("Your mail program waits {s} s for the answer.", s=left)
            )
        else:
            self.countdown.setText(
                tr(
                    "Your mail program was told to wait; the message stays here "
                    "until you "
                    "decide."
                )
            )

    def _answer(self, resolution: Resolution) -> None:
        self.decision = resolution
        self._timer.stop()
        if (
            resolution is Resolution.BCC
            and self._always_convert is not None
            and self.always.isChecked()
        ):
            self._always_convert(self.held)
        self._decide(self.held.id, resolution)
        self.accept()

    def reject(self) -> None:
        """Esc or the close button: decide later; the message stays held."""
        self._timer.stop()
        super().reject()

    def close_quietly(self) -> None:
        """Close because the message was decided elsewhere (CLI, another window)."""
        self._timer.stop()
        self.done(QDialog.DialogCode.Rejected)
