"""The hold dialog's third way out: send one copy per recipient, explained first.

The offer says how many copies, the account's daily limit and when the last copy
would go, and asks about the greeting; only its own button sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bccguard.core.individual_copies import PLACEHOLDER, Greeting
from bccguard.core.one_by_one import Offer
from bccguard.ui.i18n import ntr, tr
from bccguard.ui.one_by_one_text import offer_text

Send = Callable[[Greeting | None], None]


class OneByOneOffer(QFrame):
    """Explains "send one by one" and asks about the greeting."""

    def __init__(
        self,
        send: Send,
        back: Callable[[], None],
        *,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._send = send
        self._clock = clock
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(tr("Send one by one"))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.greet = QCheckBox(
            tr(
                "Greet each by first name where the text says {placeholder}",
                placeholder=PLACEHOLDER,
            )
        )
        self.fallback_label = QLabel(tr("Where no first name is known (e.g. friend)"))
        self.fallback = QLineEdit()
        self.fallback.setEnabled(False)
        self.fallback_label.setEnabled(False)
        self.greet.toggled.connect(self.fallback.setEnabled)
        self.greet.toggled.connect(self.fallback_label.setEnabled)
        self.send_button = QPushButton()
        self.send_button.setMinimumHeight(40)
        self.send_button.clicked.connect(self._chosen)
        self.back_button = QPushButton(tr("Back"))
        self.back_button.setMinimumHeight(40)
        self.back_button.clicked.connect(back)

        row = QHBoxLayout()
        row.addWidget(self.back_button, 1)
        row.addWidget(self.send_button, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addWidget(self.greet)
        fallback_row = QHBoxLayout()
        fallback_row.setContentsMargins(24, 0, 0, 0)
        fallback_row.addWidget(self.fallback_label)
        fallback_row.addWidget(self.fallback, 1)
        layout.addLayout(fallback_row)
        layout.addLayout(row)
        self.hide()

    def ask(self, offer: Offer) -> None:
        """Show the offer for ``offer``'s copies."""
        self.text.setText(
            offer_text(offer.copies, offer.limit, offer.finish, self._clock())
        )
        self.send_button.setText(ntr("Send {n} copy", "Send {n} copies", offer.copies))
        self.greet.setChecked(offer.placeholder)  # the text asks for a first name
        self.show()
        self.send_button.setFocus()

    def greeting(self) -> Greeting | None:
        """The greeting chosen (None: leave the text as it is)."""
        if not self.greet.isChecked():
            return None
        return Greeting(self.fallback.text().strip())

    def _chosen(self) -> None:
        self._send(self.greeting())
