"""The held messages, live, with the answers each one's state allows.

The words for a record (its state, a short outcome, what happened, what can be done)
are here too; the hold dialog uses the same ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QFont, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bccguard.core.countdown import counting_down, from_countdown, was_undone
from bccguard.core.held import HeldMessage, HeldState, Origin, Refusal, Resolution
from bccguard.ui.exposure_confirm import ExposureConfirm
from bccguard.ui.i18n import N_, ntr, tr
from bccguard.ui.one_by_one_text import run_explanation, run_summary
from bccguard.ui.record_table import RecordTable

Decide = Callable[[str, Resolution], None]
Clock = Callable[[], float]

# How the states read in the list (and in the hold dialog's title).
_STATE_TEXT = {
    HeldState.WAITING: N_("Waiting for you"),
    HeldState.QUEUED: N_("Waiting to be sent"),
    HeldState.SENDING: N_("Sending"),
    HeldState.UNCERTAIN: N_("May have been sent"),
    HeldState.NEEDS_SIGN_IN: N_("Waiting for you to sign in"),
    HeldState.SENT: N_("Sent"),
    HeldState.PARTLY_SENT: N_("Partly sent"),
    HeldState.FAILED: N_("Could not be sent"),
    HeldState.DISCARDED: N_("Not sent"),
}

# Action keys: one button each, in the window and in the dialog.
CONVERT = "convert"
AS_IS = "as-is"
SEND_AGAIN = "send-again"
WENT_OUT = "went-out"
SEND = "send"
RESEND = "resend"
DISCARD = "discard"
ACTION_KEYS = (CONVERT, AS_IS, SEND_AGAIN, WENT_OUT, SEND, RESEND, DISCARD)


@dataclass(frozen=True, slots=True)
class Action:
    """One answer a record allows now: a button's words and what it decides."""

    key: str
    label: str
    resolution: Resolution
    tip: str
    enabled: bool = True
    primary: bool = False  # the recommended answer (Enter, green)


STATE_COLUMN = 3


def _asks_user(held: HeldMessage) -> bool:
    """True when nothing happens until the user acts."""
    return held.state.needs_user or held.state is HeldState.NEEDS_SIGN_IN


def state_text(state: HeldState) -> str:
    """The state in words, translated: "Sent", "Waiting for you"."""
    return tr(_STATE_TEXT[state])


def clock_time(at: float, now: float) -> str:
    """``10:42`` today, ``2025-03-01 10:42`` on another day."""
    moment, today = time.localtime(at), time.localtime(now)
    same_day = moment[:3] == today[:3]
    return time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", moment)


def account_name(held: HeldMessage) -> str:
    """The account the message goes out through, for people."""
    return held.account or held.mail_from


def _total(held: HeldMessage) -> int:
    return len(set(held.recipients))


def _resend_resolution(held: HeldMessage) -> Resolution:
    """Sending again keeps the earlier choice; a message that passed goes as it is."""
    if held.resolution in (Resolution.BCC, Resolution.AS_IS, Resolution.INDIVIDUALLY):
        return held.resolution
    return Resolution.AS_IS if held.origin is Origin.PASSED else Resolution.BCC


def _queued_text(held: HeldMessage, now: float) -> str:
    at = clock_time(held.next_attempt, now)
    due = held.next_attempt > now
    if held.delivered:
        return tr(
            "Sent to {sent} of {total} — {rest} will be retried at {time}",
            sent=len(held.delivered),
            total=_total(held),
            rest=len(held.pending),
            time=at,
        )
    if held.attempts:
        return tr("Will try again at {time}", time=at) if due else tr("Trying again")
    return tr("Will be sent at {time}", time=at) if due else tr("About to be sent")


def _problems(held: HeldMessage) -> list[str]:
    """Refused and never accepted, counted."""
    parts = []
    if held.refused:
        parts.append(tr("Refused by the server: {n}", n=len(held.refused)))
    if held.deferred:
        parts.append(tr("Not accepted in time: {n}", n=len(held.deferred)))
    return parts


_SEPARATOR = " · "  # between the parts of a summary, each a sentence of its own


def outcome_summary(held: HeldMessage, now: float) -> str:
    """A short line for the Outcome column; the server's own words go elsewhere."""
    run = run_summary(held, now)  # sent one by one: its own progress
    if run is not None:
        return run
    sent, total = len(held.delivered), _total(held)
    part = tr("Sent to {sent} of {total}", sent=sent, total=total)
    match held.state:
        case HeldState.WAITING:
            return tr("Not sent yet")
        case HeldState.QUEUED if counting_down(held):
            at = clock_time(held.countdown_until, now)
            return tr("Goes at {time} unless you undo it", time=at)
        case HeldState.QUEUED:
            return _queued_text(held, now)
        case HeldState.SENDING:
            if sent:
                return tr(
                    "Sent to {sent} of {total} — sending to the rest",
                    sent=sent,
                    total=total,
                )
            count = len(held.in_flight or held.pending)
            return ntr("Sending to {n} recipient", "Sending to {n} recipients", count)
        case HeldState.UNCERTAIN:
            count = len(held.uncertain)
            unsure = ntr(
                "Not confirmed for {n} recipient",
                "Not confirmed for {n} recipients",
                count,
            )
            return _SEPARATOR.join([part, unsure]) if sent else unsure
        case HeldState.NEEDS_SIGN_IN:
            refused = tr("The server refused the sign-in")
            return _SEPARATOR.join([part, refused]) if sent else refused
        case HeldState.SENT:
            return ntr("Sent to {n} recipient", "Sent to {n} recipients", sent)
        case HeldState.PARTLY_SENT:
            return _SEPARATOR.join([part, *_problems(held)])
        case HeldState.FAILED:
            return _SEPARATOR.join([tr("Nobody got it"), *_problems(held)])
    # Discarded.
    if sent:
        return tr("Stopped after {sent} of {total}", sent=sent, total=total)
    return tr("Not sent")


def headline(held: HeldMessage, now: float) -> str:
    """What a record's state means, in one line (the hold dialog's headline)."""
    match held.state:
        case HeldState.WAITING if was_undone(held):
            return tr("You stopped this message: it was not sent")
        case HeldState.WAITING:
            return ntr(
                "{n} person would see the others' e-mail addresses",
                "{n} people would see each other's e-mail address",
                held.exposed_count,
            )
        case HeldState.UNCERTAIN:
            return tr("This message may have been sent")
        case HeldState.NEEDS_SIGN_IN:
            return tr(
                "Waiting for you to sign in to {account} again",
                account=account_name(held),
            )
        case HeldState.SENDING:
            return tr("Being sent…")
    return outcome_summary(held, now)


def explanation(held: HeldMessage, now: float) -> str:
    """What happened and what the answers do, in plain words."""
    undelivered = len(held.undelivered)
    text = ""
    run = run_explanation(held)  # sent one by one
    match held.state:
        case _ if run is not None:
            text = run
        case HeldState.WAITING if was_undone(held):
            text = tr(
                "You pressed Undo before it went. Send it as it is, convert it to "
                "Bcc first, or don't send it; until then it waits in BccGuard."
            )
        case HeldState.WAITING:
            text = tr(
                "More than {threshold} recipients who may not know each other are in "
                "To/Cc. Bcc keeps their addresses private.",
                threshold=held.threshold,
            )
        case HeldState.QUEUED if counting_down(held):
            text = tr(
                "Undo send: it goes when its time is up. Until then you can stop it."
            )
        case HeldState.QUEUED:
            if held.attempts:
                text = tr(
                    "The server did not take it yet. BccGuard tries again by itself; "
                    "nobody gets it twice."
                )
            else:
                text = tr("It is in line to be sent. You can still stop it.")
        case HeldState.SENDING:
            text = tr("BccGuard is handing it to the server right now.")
        case HeldState.UNCERTAIN:
            text = tr(
                "BccGuard lost the connection after the server had the message, "
                "before the server said it took it. It may have gone out. If you "
                "know it went out (it is in your Sent folder, or someone answered), "
                "say so and nothing more is sent. If you send it again, some "
                "people may get it twice."
            )
        case HeldState.NEEDS_SIGN_IN:
            text = tr(
                "The server did not accept BccGuard's sign-in for {account}. Sign "
                "in again (or correct the password in Settings): it then goes by "
                "itself.",
                account=account_name(held),
            )
        case HeldState.SENT:
            text = tr("The server took it for every recipient.")
        case HeldState.PARTLY_SENT:
            text = tr(
                "Some recipients got it; the server did not take it for the others "
                "(its reasons are listed). You can send it again to those who did "
                "not get it."
            )
        case HeldState.FAILED:
            text = tr(
                "Nobody got it (the server's reasons are listed). You can send it "
                "again or discard it."
            )
        case HeldState.DISCARDED:
            text = (
                tr("Stopped: the rest was not sent.")
                if held.delivered
                else tr("It was not sent.")
            )
    if held.origin is Origin.PASSED and not from_countdown(held):
        text = (
            tr(
                "This message passed the check; BccGuard finishes its delivery "
                "because the server was slow to answer."
            )
            + " "
            + text
        )
    if not held.has_data and undelivered and held.state in _RELEASABLE:
        text += " " + _no_copy()
    return text


_RELEASABLE = frozenset(
    {
        HeldState.WAITING,
        HeldState.UNCERTAIN,
        HeldState.NEEDS_SIGN_IN,
        HeldState.FAILED,
        HeldState.PARTLY_SENT,
    }
)


def _no_copy() -> str:
    return tr(
        "BccGuard has no copy of this message: send it again from your mail program."
    )


def _discard(label: str, tip: str, *, enabled: bool = True) -> Action:
    return Action(DISCARD, label, Resolution.DISCARD, tip, enabled)


def actions_for(held: HeldMessage) -> list[Action]:
    """The answers ``held`` allows now; a disabled one carries the reason as its tip.

    An empty list means nothing is left to do (sent, or not sent).
    """
    copy = held.has_data
    no_copy = "" if copy else _no_copy()
    again = _resend_resolution(held)
    count = len(held.undelivered)
    stop_tip = (
        tr("Nobody else gets it; those who got it keep it.")
        if held.delivered
        else tr("Nothing is sent.")
    )
    match held.state:
        case HeldState.WAITING:
            return [
                Action(
                    CONVERT,
                    tr("Convert to Bcc and send"),
                    Resolution.BCC,
                    no_copy or tr("Everyone moves to Bcc; To becomes you"),
                    copy,
                    primary=True,
                ),
                Action(
                    AS_IS,
                    tr("Send as is"),
                    Resolution.AS_IS,
                    no_copy or tr("Everyone will see everyone's address"),
                    copy,
                ),
                _discard(
                    tr("Don't send"), tr("Nothing is sent; your mail program keeps it")
                ),
            ]
        case HeldState.UNCERTAIN:
            label = (
                tr("Send again in Bcc")
                if again is Resolution.BCC
                else tr("Send again as is")
            )
            tip = ntr(
                "Sends it once more to the {n} recipient who may not have it; "
                "they may get it twice.",
                "Sends it once more to the {n} recipients who may not have it; "
                "some may get it twice.",
                count,
            )
            return [
                Action(SEND_AGAIN, label, again, no_copy or tip, copy),
                Action(
                    WENT_OUT,
                    tr("It went out"),
                    Resolution.WENT_OUT,
                    tr("BccGuard sends nothing more to them."),
                ),
                _discard(tr("Discard"), stop_tip),
            ]
        case HeldState.NEEDS_SIGN_IN:
            tip = tr(
                "After you have signed in to {account} again, or corrected its "
                "password in Settings.",
                account=account_name(held),
            )
            return [
                Action(SEND, tr("Send"), again, no_copy or tip, copy, primary=True),
                _discard(tr("Discard"), stop_tip),
            ]
        case HeldState.FAILED | HeldState.PARTLY_SENT:
            tip = ntr(
                "Sends it to the {n} recipient who did not get it; nobody gets it "
                "twice.",
                "Sends it to the {n} recipients who did not get it; nobody gets it "
                "twice.",
                count,
            )
            return [
                Action(
                    RESEND,
                    tr("Send again to those who did not get it ({n})", n=count),
                    again,
                    no_copy or tip,
                    copy,
                    primary=True,
                ),
                _discard(tr("Discard"), stop_tip),
            ]
        case HeldState.QUEUED:
            return [_discard(tr("Discard"), stop_tip)]
        case HeldState.SENDING:
            busy = tr(
                "It is being sent right now; wait for the server's answer, then decide."
            )
            return [_discard(tr("Discard"), busy, enabled=False)]
    return []


def refusal_lines(held: HeldMessage) -> list[tuple[str, list[str]]]:
    """Sections of recipients the server did not take, each in the server's words."""

    def line(refusal: Refusal) -> str:
        return f"{refusal.address} — {refusal.code} {refusal.text}".strip()

    sections = []
    if held.refused:
        sections.append(
            (
                tr("Refused by the server ({n}):", n=len(held.refused)),
                [line(r) for r in held.refused],
            )
        )
    if held.deferred:
        title = (
            tr("Not accepted yet ({n}):", n=len(held.deferred))
            if not held.state.final
            else tr("Not accepted in time ({n}):", n=len(held.deferred))
        )
        sections.append((title, [line(r) for r in held.deferred]))
    if held.uncertain:
        sections.append(
            (
                tr("Not confirmed by the server ({n}):", n=len(held.uncertain)),
                list(held.uncertain),
            )
        )
    return sections


def _outcome_tip(held: HeldMessage, now: float, shown: int = 8) -> str:
    """The Outcome cell's tooltip: the summary, then the server's words."""
    lines = [outcome_summary(held, now)]
    for title, entries in refusal_lines(held):
        lines.append(title)
        lines.extend(f"  {entry}" for entry in entries[:shown])
        if len(entries) > shown:
            lines.append("  " + tr("and {n} more", n=len(entries) - shown))
    return "\n".join(lines)


class HeldWindow(QWidget):
    """Every held message and its fate, kept current; each can be answered here."""

    def __init__(
        self,
        load: Callable[[], Sequence[HeldMessage]],
        decide: Decide,
        parent: QWidget | None = None,
        *,
        clock: Clock = time.time,
        interval_ms: int = 1000,
        sign_in: Callable[[str], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self._load = load
        self._decide = decide
        self._sign_in = sign_in
        self._clock = clock
        self.items: list[HeldMessage] = []
        self._rows: list[list[tuple[str, str]]] = []
        self._asking: list[bool] = []  # rows whose state waits for the user
        self.setWindowTitle(tr("BccGuard — held messages"))
        self.resize(960, 600)
        self.table = RecordTable(
            [tr("Received"), tr("Subject"), tr("Exposed"), tr("State"), tr("Outcome")]
        )
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Long subjects and outcomes (Italian ones above all) wrap: a row grows to
        # show its cells whole rather than cut them off.
        self.table.setWordWrap(True)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        rows.setMinimumSectionSize(self.fontMetrics().height() + 10)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        fit, stretch = (
            QHeaderView.ResizeMode.ResizeToContents,
            QHeaderView.ResizeMode.Stretch,
        )
        for column, mode in enumerate((fit, stretch, fit, fit, stretch)):
            header.setSectionResizeMode(column, mode)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.empty = QLabel(tr("No held messages."))

        self.title = QLabel()
        bold = self.title.font()
        bold.setWeight(QFont.Weight.Bold)
        self.title.setFont(bold)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.refusals = QListWidget()
        self.refusals.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.refusals.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.refusals.hide()

        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        for key in ACTION_KEYS:
            button = QPushButton()
            button.clicked.connect(lambda _=False, k=key: self._answer(k))
            button.hide()
            self.buttons[key] = button
            row.addWidget(button)
        # A message waiting for a sign-in: sign in again from here (the account's
        # sign-in page, or its settings for a password account).
        self.sign_in_button = QPushButton()
        self.sign_in_button.clicked.connect(self._sign_in_again)
        self.sign_in_button.hide()
        row.insertWidget(1, self.sign_in_button)
        self.convert_button = self.buttons[CONVERT]
        self.as_is_button = self.buttons[AS_IS]
        self.discard_button = self.buttons[DISCARD]
        self._actions: dict[str, Action] = {}
        self._confirming: str | None = None  # the record "send as is" asks about
        self.confirm = ExposureConfirm(self._as_is_confirmed, self._as_is_cancelled)
        bar = QWidget()
        bar.setLayout(row)
        # The row keeps its height when a record allows no answer: nothing jumps.
        bar.setMinimumHeight(self.convert_button.sizeHint().height())

        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.refusals)
        layout.addWidget(self.confirm)
        layout.addWidget(bar)

        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.refresh)
        self.refresh()

    # -- live view ----------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Visible: keep the list current."""
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        """Hidden: nothing to keep current."""
        self.timer.stop()
        super().hideEvent(event)

    def refresh(self) -> None:
        """Show the records as they are now; the selected one stays selected."""
        chosen = self.selected()
        chosen_id = chosen.id if chosen is not None else None
        items = list(reversed(self._load()))
        now = self._clock()
        rows = [self._cells(held, now) for held in items]
        old_ids = [held.id for held in self.items]
        self.items = items
        self.empty.setVisible(not items)
        asking = [_asks_user(held) for held in items]
        if rows != self._rows or asking != self._asking:
            self._rows, self._asking = rows, asking
            self._fill(rows, asking)
        new_ids = [held.id for held in items]
        if new_ids != old_ids:
            self._select(new_ids.index(chosen_id) if chosen_id in new_ids else None)
        self._selection_changed()

    def _cells(self, held: HeldMessage, now: float) -> list[tuple[str, str]]:
        """Each cell's text and tooltip (the full text where it may be cut)."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(held.received_at))
        subject = held.subject or tr("(no subject)")
        state = state_text(held.state)
        exposed = str(held.exposed_count)
        return [
            (when, ""),
            (subject, subject),
            (exposed, ""),
            (state, headline(held, now)),
            (outcome_summary(held, now), _outcome_tip(held, now)),
        ]

    def _fill(self, rows: list[list[tuple[str, str]]], asking: list[bool]) -> None:
        """Change only the cells whose text changed: no flicker, no lost scroll.

        The state of a message that waits for the user is in bold.
        """
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(rows))
            for row, cells in enumerate(rows):
                for column, (text, tip) in enumerate(cells):
                    item = self.table.item(row, column)
                    if item is None:
                        item = QTableWidgetItem()
                        self.table.setItem(row, column, item)
                    if item.text() != text:
                        item.setText(text)
                    if item.toolTip() != tip:
                        item.setToolTip(tip)
                    if column == STATE_COLUMN and item.font().bold() != asking[row]:
                        font = item.font()
                        font.setBold(asking[row])
                        item.setFont(font)

    def _select(self, row: int | None) -> None:
        """Select ``row`` (or nothing) without scrolling the list."""
        model = self.table.selectionModel()
        with QSignalBlocker(self.table), QSignalBlocker(model):
            if row is None:
                model.clearSelection()
                return
            index = self.table.model().index(row, 0)
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            auto = self.table.hasAutoScroll()
            self.table.setAutoScroll(False)
            model.setCurrentIndex(index, flags)
            self.table.setAutoScroll(auto)

    # -- the selected record ---------------------------------------------------------

    def selected(self) -> HeldMessage | None:
        """The held message of the selected row."""
        row = self.table.selected_row()
        if row is None or row >= len(self.items):
            return None
        return self.items[row]

    def select_id(self, held_id: str) -> None:
        """Select the record ``held_id`` and scroll to it (e.g. from a notification)."""
        ids = [held.id for held in self.items]
        if held_id in ids:
            row = ids.index(held_id)
            self._select(row)
            self.table.scrollTo(self.table.model().index(row, 0))
            self._selection_changed()

    def shown_actions(self) -> list[Action]:
        """The answers the buttons offer now, in their order."""
        return [self._actions[k] for k in ACTION_KEYS if k in self._actions]

    def _selection_changed(self) -> None:
        held = self.selected()
        now = self._clock()
        if held is None:
            self.title.setText("")
            self.details.setText(tr("Select a message to see what can be done."))
            self._show_refusals([])
            # What a waiting message would offer, greyed: the window keeps its shape.
            actions = [
                Action(a.key, a.label, a.resolution, "", enabled=False)
                for a in actions_for(_PLACEHOLDER)
            ]
        else:
            self.title.setText(headline(held, now))
            self.details.setText(explanation(held, now))
            self._show_refusals(refusal_lines(held))
            actions = actions_for(held)
        self._actions = {a.key: a for a in actions}
        waits_for_sign_in = (
            held is not None
            and held.state is HeldState.NEEDS_SIGN_IN
            and self._sign_in is not None
        )
        if held is not None and waits_for_sign_in:
            self.sign_in_button.setText(
                tr("Sign in again to {account}", account=account_name(held))
            )
        self.sign_in_button.setVisible(waits_for_sign_in)
        as_is = self._actions.get(AS_IS)
        if self._confirming is not None and (
            held is None
            or held.id != self._confirming
            or as_is is None
            or not as_is.enabled
        ):
            self._confirming = None
            self.confirm.hide()
        for key, button in self.buttons.items():
            action = self._actions.get(key)
            button.setVisible(action is not None)
            if action is not None:
                button.setText(action.label)
                button.setToolTip(action.tip)
                button.setEnabled(action.enabled and self._confirming is None)

    def _show_refusals(self, sections: list[tuple[str, list[str]]]) -> None:
        lines: list[tuple[str, bool]] = []
        for title, entries in sections:
            lines.append((title, True))
            lines.extend((entry, False) for entry in entries)
        current = [self.refusals.item(r).text() for r in range(self.refusals.count())]
        if current != [text for text, _ in lines]:
            self.refusals.clear()
            for text, is_title in lines:
                item = QListWidgetItem(text)
                item.setToolTip(text)
                if is_title:
                    font = item.font()
                    font.setWeight(QFont.Weight.Bold)
                    item.setFont(font)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.refusals.addItem(item)
        if lines:
            # As tall as its lines, up to seven; longer lists scroll.
            shown = min(len(lines), 7)
            frame = 2 * self.refusals.frameWidth()
            self.refusals.setFixedHeight(
                self.refusals.sizeHintForRow(0) * shown + frame + 2
            )
        self.refusals.setVisible(bool(lines))

    def _sign_in_again(self) -> None:
        held = self.selected()
        if held is not None and self._sign_in is not None:
            self._sign_in(held.account)

    def _answer(self, key: str) -> None:
        held = self.selected()
        action = self._actions.get(key)
        if held is None or action is None or not action.enabled:
            return
        if key == AS_IS:
            # Everyone's address would be shown: ask again, naming how many people.
            self._confirming = held.id
            self._selection_changed()
            self.confirm.ask(held.exposed_count)
            return
        self._decide(held.id, action.resolution)

    def escape(self) -> None:
        """Esc: take back the "send as is" question if one is open, else close."""
        if self.confirm.isVisible():
            self._as_is_cancelled()
        else:
            self.close()

    def _as_is_confirmed(self) -> None:
        held = self.selected()
        action = self._actions.get(AS_IS)
        confirming, self._confirming = self._confirming, None
        self.confirm.hide()
        if held is not None and held.id == confirming and action is not None:
            self._decide(held.id, action.resolution)
        self._selection_changed()

    def _as_is_cancelled(self) -> None:
        self._confirming = None
        self.confirm.hide()
        self._selection_changed()


# A stand-in record for the greyed buttons shown while nothing is selected.
_PLACEHOLDER = HeldMessage(
    id="",
    received_at=0.0,
    mail_from="",
    recipients=(),
    subject="",
    message_id="",
    key="",
    size=0,
    visible_count=0,
    exposed_count=0,
    threshold=0,
    domains=(),
    exposed=(),
    reasons=(),
)
