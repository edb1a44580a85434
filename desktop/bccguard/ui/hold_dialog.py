"""The hold dialog: who would see whom, and big answers that fit the message's state.

Mostly it asks about a message the policy held (convert, as is, don't send); it also
asks when a message may have been sent, could not be sent, or waits for a sign-in.
"""

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

from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.core.individual_copies import Greeting
from bccguard.core.one_by_one import Offer
from bccguard.ui.exposure_confirm import ExposureConfirm
from bccguard.ui.held_window import (
    ACTION_KEYS,
    AS_IS,
    CONVERT,
    DISCARD,
    RESEND,
    SEND,
    SEND_AGAIN,
    WENT_OUT,
    Action,
    actions_for,
    explanation,
    headline,
    refusal_lines,
    state_text,
)
from bccguard.ui.i18n import tr
from bccguard.ui.one_by_one_offer import OneByOneOffer

Decide = Callable[[str, Resolution], None]
# Send one by one: the held message's id and the greeting; what it would take.
OneByOne = Callable[[str, Greeting | None], None]
Estimate = Callable[[HeldMessage], Offer]
Later = Callable[[HeldMessage], None]
Clock = Callable[[], float]

_PRIMARY_STYLE = (
    "QPushButton { background: #1e8e3e; color: white; font-weight: bold;"
    " padding: 0 18px; border-radius: 4px; }"
    "QPushButton:focus { border: 2px solid #0b3d1a; }"
    "QPushButton:disabled { background: #a8c7b0; }"
)
_SHORTCUTS = {CONVERT: "Enter", AS_IS: "Alt+S", DISCARD: "Alt+D"}


def _domains_text(held: HeldMessage, shown: int = 6) -> str:
    parts = [f"{domain} ({count})" for domain, count in held.domains[:shown]]
    rest = len(held.domains) - shown
    if rest > 0:
        parts.append(tr("and {n} more", n=rest))
    return ", ".join(parts)


class HoldDialog(QDialog):
    """Asks what to do with one held message; the answer goes to ``decide``.

    The answers follow the record's state; :meth:`show_record` shows a newer record
    of the same message in place.
    """

    def __init__(
        self,
        held: HeldMessage,
        decide: Decide,
        *,
        deadline: float | None = None,
        always_convert: Callable[[HeldMessage], None] | None = None,
        later: Later | None = None,
        clock: Clock = time.time,
        one_by_one: OneByOne | None = None,
        estimate: Estimate | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.held = held
        self._decide = decide
        self._one_by_one = one_by_one if estimate is not None else None
        self._estimate = estimate
        self._deadline = deadline
        self._always_convert = always_convert
        self._later = later
        self._clock = clock
        self._actions: dict[str, Action] = {}
        self.decision: Resolution | None = None
        self.setMinimumWidth(560)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)

        self.headline = QLabel()
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setWeight(QFont.Weight.Bold)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.subject = QLabel()
        self.subject.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.domains = QLabel()
        self.domains.setWordWrap(True)
        self.explain = QLabel()
        self.explain.setWordWrap(True)

        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Search the recipients…"))
        self.search.setClearButtonEnabled(True)
        self.recipients = QListWidget()
        self.recipients.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.recipients.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.search.textChanged.connect(self._filter)

        self.countdown = QLabel()
        self.countdown.setStyleSheet("color: #5f6368;")
        self.later_hint = QLabel(
            tr(
                "Esc or closing this window: decide later. It waits in BccGuard: "
                "tray menu → Held messages."
            )
        )
        self.later_hint.setWordWrap(True)
        self.later_hint.setStyleSheet("color: #5f6368;")
        self.confirm = ExposureConfirm(self._as_is_confirmed, self._as_is_cancelled)

        self.buttons: dict[str, QPushButton] = {}
        for key in ACTION_KEYS:
            button = QPushButton()
            button.setMinimumHeight(40)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, k=key: self._answer(k))
            self.buttons[key] = button
        self.convert_button = self.buttons[CONVERT]
        self.as_is_button = self.buttons[AS_IS]
        self.discard_button = self.buttons[DISCARD]
        self.send_again_button = self.buttons[SEND_AGAIN]
        self.went_out_button = self.buttons[WENT_OUT]
        self.send_button = self.buttons[SEND]
        self.resend_button = self.buttons[RESEND]
        QShortcut(QKeySequence("Alt+S"), self, lambda: self._shortcut(AS_IS))
        QShortcut(QKeySequence("Alt+D"), self, lambda: self._shortcut(DISCARD))

        # Offered only for converting: "always send as is" would switch the guard off.
        self.always = QCheckBox(
            tr(
                "Always convert mail from {sender} to Bcc without asking",
                sender=held.mail_from,
            )
        )

        self._button_row = QHBoxLayout()
        for button in self.buttons.values():
            self._button_row.addWidget(button, 1)
        # The third way out: one copy per recipient (explained before it sends).
        self.one_by_one_button = QPushButton(tr("Send one by one…"))
        self.one_by_one_button.setMinimumHeight(40)
        self.one_by_one_button.setAutoDefault(False)
        self.one_by_one_button.setToolTip(
            tr("One copy per recipient, each addressed only to them")
        )
        self.one_by_one_button.clicked.connect(self._offer_one_by_one)
        self._button_row.addWidget(self.one_by_one_button, 1)
        self.offer = OneByOneOffer(self._one_by_one_chosen, self._one_by_one_back)
        self.offer.send_button.setStyleSheet(_PRIMARY_STYLE)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.subject)
        layout.addWidget(self.domains)
        layout.addWidget(self.explain)
        layout.addWidget(self.search)
        layout.addWidget(self.recipients, 1)
        layout.addWidget(self.countdown)
        layout.addWidget(self.later_hint)
        layout.addWidget(self.always)
        layout.addWidget(self.confirm)
        layout.addWidget(self.offer)
        layout.addLayout(self._button_row)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self.show_record(held)
        self._timer.start(1000)

    def show_record(self, held: HeldMessage) -> None:
        """Show ``held`` (a newer record of this message, or the first one)."""
        self.held = held
        now = self._clock()
        waiting = held.state is HeldState.WAITING
        self.setWindowTitle(
            tr("BccGuard held a message")
            if waiting
            else tr("BccGuard — {state}", state=state_text(held.state))
        )
        self.headline.setText(headline(held, now))
        self.subject.setText(
            tr("Subject: {subject}", subject=held.subject or tr("(no subject)"))
        )
        self.domains.setText(tr("Domains: {domains}", domains=_domains_text(held)))
        self.domains.setVisible(waiting and bool(held.domains))
        self.explain.setText(explanation(held, now))
        self._fill_recipients(held)
        self.countdown.setVisible(waiting)
        self.always.setVisible(waiting and self._always_convert is not None)
        self.later_hint.setVisible(held.state.needs_user)
        self.confirm.hide()
        self.offer.hide()
        self._show_actions(actions_for(held))
        self.one_by_one_button.setVisible(waiting and self._one_by_one is not None)
        self.one_by_one_button.setEnabled(True)
        self._tick()

    def _fill_recipients(self, held: HeldMessage) -> None:
        """Waiting: who would be exposed. Otherwise: who did not get it, and why."""
        self.recipients.clear()
        if held.state is HeldState.WAITING:
            self.recipients.addItems(list(held.exposed))
        else:
            for title, entries in refusal_lines(held):
                self.recipients.addItem(title)
                heading = self.recipients.item(self.recipients.count() - 1)
                font = heading.font()
                font.setWeight(QFont.Weight.Bold)
                heading.setFont(font)
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
                heading.setData(Qt.ItemDataRole.UserRole, "title")
                for entry in entries:
                    self.recipients.addItem(entry)
                    self.recipients.item(self.recipients.count() - 1).setToolTip(entry)
        shown = self.recipients.count() > 0
        self.recipients.setVisible(shown)
        self.search.setVisible(shown)
        self._filter(self.search.text())

    def _show_actions(self, actions: list[Action]) -> None:
        self._actions = {a.key: a for a in actions}
        primary = next((a for a in actions if a.primary and a.enabled), None)
        for key, button in self.buttons.items():
            action = self._actions.get(key)
            button.setVisible(action is not None)
            button.setDefault(False)
            button.setStyleSheet("")
            index = self._button_row.indexOf(button)
            self._button_row.setStretch(index, 1)
            if action is None:
                continue
            tip = action.tip
            if key in _SHORTCUTS and action.enabled and self.held.state.needs_user:
                shortcut = tr("Enter") if key == CONVERT else _SHORTCUTS[key]
                tip = f"{tip} ({shortcut})"
            button.setText(action.label)
            button.setToolTip(tip)
            button.setEnabled(action.enabled)
            if action is primary:
                button.setDefault(True)
                button.setStyleSheet(_PRIMARY_STYLE)
                self._button_row.setStretch(index, 2)
        # The recommended answer has the focus; without one (it may have been sent),
        # no button does, so Enter or Space decides nothing by accident.
        if primary is not None:
            self.buttons[primary.key].setFocus()
        else:
            self.recipients.setFocus()

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.recipients.count()):
            item = self.recipients.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == "title":
                continue
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def visible_recipients(self) -> list[str]:
        """The addresses (or refusal lines) the search leaves in the list."""
        return [
            self.recipients.item(r).text()
            for r in range(self.recipients.count())
            if not self.recipients.item(r).isHidden()
            and self.recipients.item(r).data(Qt.ItemDataRole.UserRole) != "title"
        ]

    def shown_actions(self) -> list[Action]:
        """The answers the buttons offer now, in their order."""
        return [self._actions[k] for k in ACTION_KEYS if k in self._actions]

    def _tick(self) -> None:
        if self.held.state is not HeldState.WAITING:
            return
        if self._deadline is None:
            self.countdown.setText(
                tr("The message waits in BccGuard until you decide.")
            )
            return
        left = int(self._deadline - self._clock())
        if left > 0:
            self.countdown.setText(
                tr("Your mail program waits {s} s for the answer.", s=left)
            )
        else:
            self.countdown.setText(
                tr(
                    "Your mail program was told to wait; the message stays here "
                    "until you decide."
                )
            )

    def _shortcut(self, key: str) -> None:
        button = self.buttons[key]
        if not button.isHidden() and button.isEnabled():
            button.click()

    def _answer(self, key: str) -> None:
        action = self._actions.get(key)
        if action is None or not action.enabled:
            return
        if key == AS_IS and self.held.exposed_count:  # nobody exposed: nothing to ask
            self._ask_as_is()
            return
        self._done(action)

    def _ask_as_is(self) -> None:
        """Everyone's address would be shown: ask again, naming how many people."""
        for button in (*self.buttons.values(), self.one_by_one_button):
            button.setEnabled(False)
            button.setDefault(False)
        self.confirm.ask(self.held.exposed_count)

    def _as_is_confirmed(self) -> None:
        action = self._actions.get(AS_IS)
        if action is not None and action.enabled:
            self._done(action)

    def _as_is_cancelled(self) -> None:
        self.confirm.hide()
        self._show_actions(actions_for(self.held))
        self.one_by_one_button.setEnabled(True)

    def _offer_one_by_one(self) -> None:
        """Say how many copies and how long, and ask about the greeting."""
        if self._estimate is None:
            return
        for button in (*self.buttons.values(), self.one_by_one_button):
            button.setEnabled(False)
            button.setDefault(False)
        self.offer.ask(self._estimate(self.held))
        # Room for the whole offer: the window grows rather than cut its text.
        layout = self.layout()
        if layout is not None:
            layout.activate()
            wanted = layout.totalHeightForWidth(self.width())
            self.resize(self.width(), max(self.height(), wanted))

    def _one_by_one_chosen(self, greeting: Greeting | None) -> None:
        if self._one_by_one is None:
            return
        self.decision = Resolution.INDIVIDUALLY
        self._timer.stop()
        self._one_by_one(self.held.id, greeting)
        self.accept()

    def _one_by_one_back(self) -> None:
        self.offer.hide()
        self._show_actions(actions_for(self.held))
        self.one_by_one_button.setEnabled(True)

    def _done(self, action: Action) -> None:
        key = action.key
        resolution = action.resolution
        self.decision = resolution
        self._timer.stop()
        if (
            key == CONVERT
            and self._always_convert is not None
            and self.always.isChecked()
        ):
            self._always_convert(self.held)
        self._decide(self.held.id, resolution)
        self.accept()

    def reject(self) -> None:
        """Esc or the close button: decide later; the message stays held.

        Esc while "send as is" asks again only takes the question back.
        """
        if self.confirm.isVisible():
            self._as_is_cancelled()
            return
        if self.offer.isVisible():
            self._one_by_one_back()
            return
        self._timer.stop()
        super().reject()
        if self._later is not None and self.held.state.needs_user:
            self._later(self.held)

    def close_quietly(self) -> None:
        """Close because the message was decided elsewhere (CLI, another window)."""
        self._timer.stop()
        self.done(QDialog.DialogCode.Rejected)
