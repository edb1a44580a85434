"""The demo outbox: what the built-in upstream received, as a mail program shows it.

A message list (who sent it, subject, when, to how many people, and how many other
people's addresses each of them could see) above a reading pane with the message
as a recipient reads it, and what the envelope says: who got it and who saw whom.
"Show source" gives the message as it arrived.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bccguard.core.delivered_mail import DeliveredMail
from bccguard.ui.i18n import ntr, tr

FROM, SUBJECT, RECEIVED, RECIPIENTS, COULD_SEE = range(5)
_RED = "#b3261e"
_GREEN = "#1e6b34"
_RED_BACKGROUND = "#fdecea"
_GREEN_BACKGROUND = "#e7f4ea"


def people_text(n: int) -> str:
    """ "25 people"."""
    return ntr("{n} person", "{n} people", n)


def could_see_text(mail: DeliveredMail) -> str:
    """The list's "Could see" cell: "nobody else", "24 others"."""
    n = mail.most_seen
    return tr("nobody else") if n == 0 else ntr("{n} other", "{n} others", n)


def received_text(when: float, now: float) -> str:
    """The time today ("10:42:07"), else the date too ("2026-11-30 10:42"): no
    month names, the same in every language, as in the other windows."""
    then, today = time.localtime(when), time.localtime(now)
    return time.strftime(
        "%H:%M:%S" if then[:3] == today[:3] else "%Y-%m-%d %H:%M", then
    )


def delivered_text(mail: DeliveredMail) -> str:
    """Who the envelope delivered it to."""
    return tr(
        "Delivered to: {addresses} (envelope; {people})",
        addresses=", ".join(mail.delivered_to),
        people=people_text(len(mail.delivered_to)),
    )


def seen_text(mail: DeliveredMail) -> str:
    """What each recipient could see of the others."""
    n = mail.most_seen
    if n == 0:
        return tr("Each recipient could see: nobody else")
    return ntr(
        "Each recipient could see {n} other person's address: {addresses}",
        "Each recipient could see {n} other people's addresses: {addresses}",
        n,
        addresses=", ".join(mail.shown),
    )


def _line(label: str, value: str) -> str:
    return f"<p style='margin:0'><b>{html.escape(label)}</b> {html.escape(value)}</p>"


def _envelope_box(mail: DeliveredMail) -> str:
    """What the envelope says, in a band apart from the message: red when people
    saw strangers' addresses, green when nobody saw anyone else's."""
    colour, background = (
        (_RED, _RED_BACKGROUND) if mail.exposed else (_GREEN, _GREEN_BACKGROUND)
    )
    seen = html.escape(seen_text(mail))
    head, colon, rest = seen.partition(": ")
    return (
        f"<table width='100%' cellpadding='6' style='margin-top:8px; "
        f"margin-bottom:8px; background-color:{background}'><tr><td>"
        f"<p style='margin:0'>{html.escape(delivered_text(mail))}</p>"
        f"<p style='margin-top:4px; margin-bottom:0; color:{colour}'>"
        f"<b>{head}{colon}</b>{rest}</p>"
        "</td></tr></table>"
    )


def reading_html(mail: DeliveredMail) -> str:
    """The message as a recipient's mail program shows it, with its envelope."""
    lines = [_line(tr("From:"), mail.sender)]
    if mail.to:
        lines.append(_line(tr("To:"), ", ".join(mail.to)))
    if mail.cc:
        lines.append(_line(tr("Cc:"), ", ".join(mail.cc)))
    lines.append(_line(tr("Subject:"), mail.subject or tr("(no subject)")))
    if mail.date:
        lines.append(_line(tr("Date:"), mail.date))
    body = mail.body or tr("(this message has no text)")
    return (
        "".join(lines)
        + _envelope_box(mail)
        + f"<div style='white-space:pre-wrap'>{html.escape(body)}</div>"
    )


class OutboxWindow(QWidget):
    """Lists delivered demo messages, newest first; shows one as recipients see it."""

    def __init__(
        self,
        load: Callable[[], list[DeliveredMail]],
        *,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._clock = clock
        self.mails: list[DeliveredMail] = []
        self.setWindowTitle(tr("BccGuard — demo outbox"))
        self.resize(900, 660)
        self.empty = QLabel(
            tr(
                "Nothing has arrived yet. Send the sample mass mail from the tray "
                "menu and answer the hold dialog: what the recipients receive "
                "shows here."
            )
        )
        self.empty.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setHeaderLabels(
            [
                tr("From"),
                tr("Subject"),
                tr("Received"),
                tr("Recipients"),
                tr("Could see"),
            ]
        )
        header = self.list.header()
        header.setStretchLastSection(False)
        fit = QHeaderView.ResizeMode.ResizeToContents
        for column in (FROM, RECEIVED, RECIPIENTS, COULD_SEE):
            header.setSectionResizeMode(column, fit)
        header.setSectionResizeMode(SUBJECT, QHeaderView.ResizeMode.Stretch)
        self.list.currentItemChanged.connect(lambda _now, _before: self._show())
        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        self.source = QPlainTextEdit()
        self.source.setReadOnly(True)
        self.source.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.source.setFont(
            QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        )
        self.pane = QStackedWidget()
        self.pane.addWidget(self.view)
        self.pane.addWidget(self.source)
        self.show_source = QCheckBox(tr("Show source"))
        self.show_source.toggled.connect(self._source_toggled)
        self.reading = reading = QWidget()
        reading_layout = QVBoxLayout(reading)
        reading_layout.setContentsMargins(0, 0, 0, 0)
        reading_layout.addWidget(self.pane, 1)
        options = QHBoxLayout()
        options.addStretch(1)
        options.addWidget(self.show_source)
        reading_layout.addLayout(options)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(reading)
        self.splitter.setSizes([130, 500])
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.splitter, 1)
        self.refresh()

    def refresh(self) -> None:
        """Reload the outbox; keep the selected message, else show the newest."""
        current = self.selected()
        self.mails = list(reversed(self._load()))
        self.empty.setVisible(not self.mails)
        self.reading.setVisible(bool(self.mails))
        now = self._clock()
        self.list.blockSignals(True)
        self.list.clear()
        for mail in self.mails:
            self.list.addTopLevelItem(self._item(mail, now))
        self.list.blockSignals(False)
        names = [m.name for m in self.mails]
        row = names.index(current.name) if current and current.name in names else 0
        item = self.list.topLevelItem(row) if self.mails else None
        if item is not None:
            self.list.setCurrentItem(item)
        self._show()

    def _item(self, mail: DeliveredMail, now: float) -> QTreeWidgetItem:
        item = QTreeWidgetItem(
            [
                mail.sender,
                mail.subject or tr("(no subject)"),
                received_text(mail.received_at, now),
                people_text(len(mail.delivered_to)),
                could_see_text(mail),
            ]
        )
        item.setToolTip(SUBJECT, mail.subject)
        item.setToolTip(COULD_SEE, seen_text(mail))
        colour = QColor(_RED if mail.exposed else _GREEN)
        item.setForeground(COULD_SEE, QBrush(colour))
        if mail.exposed:
            font = item.font(COULD_SEE)
            font.setBold(True)
            item.setFont(COULD_SEE, font)
        return item

    def selected(self) -> DeliveredMail | None:
        """The message in the reading pane."""
        item = self.list.currentItem()
        if item is None:
            return None
        row = self.list.indexOfTopLevelItem(item)
        return self.mails[row] if 0 <= row < len(self.mails) else None

    def select(self, name: str) -> None:
        """Show the message ``name`` (e.g. "0002")."""
        for row, mail in enumerate(self.mails):
            item = self.list.topLevelItem(row)
            if mail.name == name and item is not None:
                self.list.setCurrentItem(item)

    def _show(self) -> None:
        mail = self.selected()
        if mail is None:
            self.view.clear()
            self.source.clear()
            return
        self.view.setHtml(reading_html(mail))
        self.source.setPlainText(
            tr(
                "Envelope: from {sender} to {n} recipients",
                sender=mail.envelope_sender,
                n=len(mail.delivered_to),
            )
            + "\n"
            + ", ".join(mail.delivered_to)
            + "\n\n"
            + mail.source
        )

    def _source_toggled(self, on: bool) -> None:
        self.pane.setCurrentWidget(self.source if on else self.view)
