"""Undo send's window: every message still counting down, each with Undo and Send now.

A small always-on-top window of its own (not a notification, which shows one
message and vanishes): one row per message, the seconds left live, Undo and Send
now per row. Esc or closing it only hides it; the messages still go when due.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bccguard.core.countdown import people
from bccguard.core.held import HeldMessage
from bccguard.ui.i18n import ntr, tr

Act = Callable[[str], None]
Clock = Callable[[], float]

_UNDO_STYLE = (
    "QPushButton { background: #1a73e8; color: white; font-weight: bold;"
    " padding: 4px 16px; border-radius: 4px; }"
    "QPushButton:focus { border: 2px solid #0b3d91; }"
    "QPushButton:disabled { background: #a8c1e8; }"
)


def countdown_line(held: HeldMessage, now: float) -> str:
    """The row's line: "Sending to 3 people in 10 s" (or "now" once it is time)."""
    left = max(0, int(held.countdown_until - now + 0.999))
    n = people(held)
    if left == 0:
        return ntr("Sending to {n} person now…", "Sending to {n} people now…", n)
    return ntr(
        "Sending to {n} person in {s} s", "Sending to {n} people in {s} s", n, s=left
    )


class CountdownRow(QFrame):
    """One message: what goes to how many, the time left, Undo and Send now."""

    def __init__(self, held: HeldMessage, undo: Act, send_now: Act) -> None:
        super().__init__()
        self.held = held
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.line = QLabel()
        font = self.line.font()
        font.setWeight(QFont.Weight.Bold)
        self.line.setFont(font)
        self.about = QLabel()
        self.about.setStyleSheet("color: #5f6368;")
        self.about.setTextFormat(Qt.TextFormat.PlainText)
        self.undo_button = QPushButton(tr("Undo"))
        self.undo_button.setStyleSheet(_UNDO_STYLE)
        self.undo_button.setToolTip(
            tr("Don't send it yet: it waits in BccGuard for your decision")
        )
        self.send_button = QPushButton(tr("Send now"))
        self.undo_button.clicked.connect(lambda: self._act(undo))
        self.send_button.clicked.connect(lambda: self._act(send_now))
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.line)
        text.addWidget(self.about)
        layout = QHBoxLayout(self)
        layout.addLayout(text, 1)
        layout.addWidget(self.undo_button)
        layout.addWidget(self.send_button)
        self.show_record(held)

    def show_record(self, held: HeldMessage) -> None:
        """A newer record of the same message (Send now moves its time)."""
        self.held = held
        subject = held.subject or tr("(no subject)")
        account = held.account or held.mail_from
        self.about.setText(
            tr("“{subject}” from {account}", subject=subject, account=account)
        )

    def tick(self, now: float) -> None:
        """Show the seconds left."""
        self.line.setText(countdown_line(self.held, now))

    def _act(self, action: Act) -> None:
        self.undo_button.setEnabled(False)
        self.send_button.setEnabled(False)
        action(self.held.id)


class CountdownWindow(QWidget):
    """Messages counting down; shows itself when one starts, hides when none is left.

    ``undo`` and ``send_now`` are called with a message's id; the window learns
    what became of it from :meth:`show_records` (the guard's events).
    """

    def __init__(self, undo: Act, send_now: Act, *, clock: Clock = time.time) -> None:
        super().__init__()
        self._undo = undo
        self._send_now = send_now
        self._clock = clock
        self.rows: dict[str, CountdownRow] = {}
        self.setWindowTitle(tr("BccGuard — Undo send"))
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowTitleHint
            | Qt.WindowType.WindowCloseButtonHint
        )
        self.setMinimumWidth(480)
        # It comes up while the user is in the mail program: it must not take the
        # keyboard away from it (a key meant for the mail would press Undo).
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.hint = QLabel(
            tr("Esc hides this window; the messages still go when their time is up.")
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #5f6368;")
        self._list = QVBoxLayout()
        self._list.setSpacing(6)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self._list)
        layout.addWidget(self.hint)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

    def show_records(self, records: list[HeldMessage], *, reveal: bool = False) -> None:
        """Show exactly these counting-down messages (soonest first); with
        ``reveal`` the window comes up (a new countdown), else it keeps its
        visibility. No message left: it hides."""
        wanted = {h.id for h in records}
        for held_id in [i for i in self.rows if i not in wanted]:
            row = self.rows.pop(held_id)
            self._list.removeWidget(row)
            row.deleteLater()
        for index, held in enumerate(records):
            known = self.rows.get(held.id)
            if known is None:
                known = CountdownRow(held, self._undo, self._send_now)
                self.rows[held.id] = known
            else:
                known.show_record(held)
                self._list.removeWidget(known)  # placed again, in order
            self._list.insertWidget(index, known)
        if not records:
            self._timer.stop()
            self.hide()
            return
        self._tick()
        self._timer.start(250)
        if reveal and not self.isVisible():
            self.adjustSize()
            self._to_corner()
            self.show()
            self.raise_()
        elif self.isVisible():
            self.adjustSize()

    def _to_corner(self) -> None:
        """Bottom right of the screen, where notifications appear."""
        area = self.screen().availableGeometry()
        self.move(area.right() - self.width() - 24, area.bottom() - self.height() - 48)

    def ids(self) -> list[str]:
        """The messages shown, top to bottom."""
        found = []
        for index in range(self._list.count()):
            item = self._list.itemAt(index)
            widget = item.widget() if item is not None else None
            if isinstance(widget, CountdownRow):
                found.append(widget.held.id)
        return found

    def _tick(self) -> None:
        now = self._clock()
        for row in self.rows.values():
            row.tick(now)
        n = len(self.rows)
        self.heading.setText(
            ntr(
                "{n} message waits before it goes. Undo stops it.",
                "{n} messages wait before they go. Undo stops one.",
                n,
            )
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc hides the window (the buttons pass it on); nothing is undone."""
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing only hides it: nothing is undone."""
        event.ignore()
        self.hide()
