"""The second step before "send as is": it names how many people would be exposed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from bccguard.ui.i18n import ntr, tr


class ExposureConfirm(QWidget):
    """A strip that asks once more before everyone's address is shown.

    "Back" has the focus, so Enter, Space or a second shortcut press decides nothing;
    only the button that says how many people would be exposed sends.
    """

    def __init__(
        self,
        confirmed: Callable[[], None],
        cancelled: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.question = QLabel()
        self.question.setWordWrap(True)
        self.question.setStyleSheet("color: #a50e0e; font-weight: bold;")
        self.back_button = QPushButton(tr("Back"))
        self.yes_button = QPushButton()
        self.yes_button.setAutoDefault(False)
        self.back_button.clicked.connect(lambda _=False: cancelled())
        self.yes_button.clicked.connect(lambda _=False: confirmed())
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.back_button)
        row.addWidget(self.yes_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.question)
        layout.addLayout(row)
        self.hide()

    def ask(self, exposed: int) -> None:
        """Show the question for a message that would expose ``exposed`` people."""
        self.question.setText(
            ntr(
                "Sending it as is shows {n} person everyone's address. This cannot "
                "be undone.",
                "Sending it as is shows {n} people each other's address. This "
                "cannot be undone.",
                exposed,
            )
        )
        self.yes_button.setText(
            ntr(
                "Yes, show {n} person everyone's address",
                "Yes, show {n} people each other's address",
                exposed,
            )
        )
        self.show()
        self.back_button.setFocus()
