"""The held messages window: a live list whose answers fit each record's state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.ui.held_window import HeldWindow
from bccguard.ui.i18n import set_language
from tests.ui.held_records import NOW, in_state, record

pytestmark = pytest.mark.gui

SUBJECT, STATE, OUTCOME = 1, 3, 4


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


class Shown:
    """A held window over a list the test changes, and the answers it gave."""

    def __init__(self, qtbot, records: list[HeldMessage], **kwargs) -> None:
        self.records = records
        self.decided: list[tuple[str, Resolution]] = []
        self.window = HeldWindow(
            lambda: list(self.records),
            lambda i, r: self.decided.append((i, r)),
            clock=lambda: NOW,
            **kwargs,
        )
        qtbot.addWidget(self.window)
        self.window.show()
        qtbot.waitExposed(self.window)

    def cell(self, row: int, column: int) -> str:
        return self.window.table.item(row, column).text()

    def offered(self) -> list[tuple[str, str, bool]]:
        """(key, label, enabled) of every button shown."""
        return [
            (key, button.text(), button.isEnabled())
            for key, button in self.window.buttons.items()
            if not button.isHidden()
        ]


@pytest.mark.parametrize(
    ("state", "state_text", "outcome", "offered"),
    [
        (
            "waiting",
            "Waiting for you",
            "Not sent yet",
            [
                ("convert", "Convert to Bcc and send", True),
                ("as-is", "Send as is", True),
                ("discard", "Don't send", True),
            ],
        ),
        (
            "queued",
            "Waiting to be sent",
            "Sent to 15 of 30 — 15 will be retried at 10:42",
            [("discard", "Discard", True)],
        ),
        (
            "sending",
            "Sending",
            "Sending to 30 recipients",
            [("discard", "Discard", False)],
        ),
        (
            "uncertain",
            "May have been sent",
            "Not confirmed for 30 recipients",
            [
                ("send-again", "Send again in Bcc", True),
                ("went-out", "It went out", True),
                ("discard", "Discard", True),
            ],
        ),
        (
            "needs-sign-in",
            "Waiting for you to sign in",
            "The server refused the sign-in",
            [("send", "Send", True), ("discard", "Discard", True)],
        ),
        ("sent", "Sent", "Sent to 30 recipients", []),
        (
            "partly-sent",
            "Partly sent",
            "Sent to 28 of 30 · Refused by the server: 2",
            [
                ("resend", "Send again to those who did not get it (2)", True),
                ("discard", "Discard", True),
            ],
        ),
        (
            "failed",
            "Could not be sent",
            "Nobody got it · Refused by the server: 30",
            [
                ("resend", "Send again to those who did not get it (30)", True),
                ("discard", "Discard", True),
            ],
        ),
        ("discarded", "Not sent", "Not sent", []),
    ],
)
def test_each_state_reads_in_words_and_offers_its_answers(
    qtbot, english, state: str, state_text: str, outcome: str, offered: list
) -> None:
    shown = Shown(qtbot, [in_state(state)])
    assert shown.cell(0, STATE) == state_text
    assert shown.cell(0, OUTCOME) == outcome
    shown.window.table.selectRow(0)
    assert shown.offered() == offered


@pytest.mark.parametrize(
    ("state", "key", "expected"),
    [
        ("waiting", "convert", Resolution.BCC),
        ("waiting", "as-is", Resolution.AS_IS),
        ("waiting", "discard", Resolution.DISCARD),
        ("uncertain", "send-again", Resolution.BCC),
        ("uncertain", "went-out", Resolution.WENT_OUT),
        ("uncertain", "discard", Resolution.DISCARD),
        ("needs-sign-in", "send", Resolution.BCC),
        ("needs-sign-in", "discard", Resolution.DISCARD),
        ("partly-sent", "resend", Resolution.BCC),
        ("failed", "resend", Resolution.AS_IS),  # sent as is before: as is again
        ("failed", "discard", Resolution.DISCARD),
        ("queued", "discard", Resolution.DISCARD),
    ],
)
def test_each_button_decides(
    qtbot, english, state: str, key: str, expected: Resolution
) -> None:
    shown = Shown(qtbot, [in_state(state, held_id="h1")])
    shown.window.table.selectRow(0)
    qtbot.mouseClick(shown.window.buttons[key], Qt.MouseButton.LeftButton)
    if key == "as-is":  # the second, explicit step
        qtbot.mouseClick(shown.window.confirm.yes_button, Qt.MouseButton.LeftButton)
    assert shown.decided == [("h1", expected)]


def test_a_message_being_sent_cannot_be_answered_and_says_why(qtbot, english) -> None:
    shown = Shown(qtbot, [in_state("sending")])
    shown.window.table.selectRow(0)
    button = shown.window.discard_button
    assert not button.isEnabled()
    assert "being sent right now" in button.toolTip()
    button.click()
    assert shown.decided == []


def test_nothing_selected_shows_the_answers_greyed(qtbot, english) -> None:
    shown = Shown(qtbot, [in_state("waiting")])
    shown.window.table.clearSelection()
    assert [(k, e) for k, _, e in shown.offered()] == [
        ("convert", False),
        ("as-is", False),
        ("discard", False),
    ]


def test_without_a_copy_only_went_out_and_discard_work(qtbot, english) -> None:
    shown = Shown(qtbot, [replace(in_state("uncertain"), has_data=False)])
    shown.window.table.selectRow(0)
    assert [(k, e) for k, _, e in shown.offered()] == [
        ("send-again", False),
        ("went-out", True),
        ("discard", True),
    ]
    assert "no copy" in shown.window.buttons["send-again"].toolTip()
    assert "no copy" in shown.window.details.text()


def test_uncertain_explains_in_plain_words(qtbot, english) -> None:
    shown = Shown(qtbot, [in_state("uncertain")])
    shown.window.table.selectRow(0)
    assert shown.window.title.text() == "This message may have been sent"
    assert "lost the connection after the server had the message" in (
        shown.window.details.text()
    )
    assert "may get it twice" in shown.window.buttons["send-again"].toolTip()


def test_needs_sign_in_names_the_account(qtbot, english) -> None:
    shown = Shown(qtbot, [in_state("needs-sign-in")])
    shown.window.table.selectRow(0)
    assert shown.window.title.text() == "Waiting for you to sign in to work again"
    assert "signed in to work again" in shown.window.buttons["send"].toolTip()


def test_queued_without_deliveries_says_when_it_tries_again(qtbot, english) -> None:
    queued = replace(in_state("queued"), delivered=())
    shown = Shown(qtbot, [queued])
    assert shown.cell(0, OUTCOME) == "Will try again at 10:42"


def test_refused_recipients_are_named_with_the_servers_words(qtbot, english) -> None:
    shown = Shown(qtbot, [in_state("partly-sent")])
    shown.window.table.selectRow(0)
    lines = [
        shown.window.refusals.item(r).text()
        for r in range(shown.window.refusals.count())
    ]
    assert lines[0] == "Refused by the server (2):"
    assert lines[1] == (
        "p0@d0.example — 550 5.1.1 <p0@d0.example>: Recipient address rejected"
    )
    assert lines[2] == "p1@d1.example — 552 5.2.2 Mailbox full"
    assert not shown.window.refusals.isHidden()
    tip = shown.window.table.item(0, OUTCOME).toolTip()
    assert "552 5.2.2 Mailbox full" in tip
    assert "552" not in shown.cell(0, OUTCOME)  # no raw replies in the column


def test_plurals_follow_the_count(qtbot, english) -> None:
    shown = Shown(qtbot, [in_state("sent", count=1)])
    assert shown.cell(0, OUTCOME) == "Sent to 1 recipient"


def test_italian(qtbot) -> None:
    set_language("it")
    try:
        shown = Shown(qtbot, [in_state("sent", "a"), in_state("uncertain", "b")])
        assert shown.cell(0, STATE) == "Forse inviato"
        assert shown.cell(1, STATE) == "Inviato"
        assert shown.cell(1, OUTCOME) == "Inviato a 30 destinatari"
        shown.window.table.selectRow(0)
        assert ("went-out", "È partito", True) in shown.offered()
    finally:
        set_language("en")


def test_live_new_records_appear_and_the_selection_stays(qtbot, english) -> None:
    records = [in_state("waiting", "old")]
    shown = Shown(qtbot, records, interval_ms=20)
    window = shown.window
    window.table.selectRow(0)
    assert window.selected() is not None and window.selected().id == "old"
    # A newer hold arrives: it goes on top, the chosen one stays chosen.
    newer = replace(in_state("waiting", "new"), received_at=NOW)
    records.append(newer)
    qtbot.waitUntil(lambda: window.table.rowCount() == 2, timeout=2000)
    assert [h.id for h in window.items] == ["new", "old"]
    assert window.selected() is not None and window.selected().id == "old"
    assert window.table.selectionModel().isRowSelected(1)
    # The chosen one moves on: its row and its answers follow.
    records[0] = in_state("uncertain", "old")
    qtbot.waitUntil(lambda: shown.cell(1, STATE) == "May have been sent", timeout=2000)
    assert window.selected() is not None and window.selected().id == "old"
    assert [k for k, _, _ in shown.offered()] == ["send-again", "went-out", "discard"]


def test_refresh_shows_what_the_source_has_now(qtbot, english) -> None:
    records: list[HeldMessage] = []
    shown = Shown(qtbot, records, interval_ms=60_000)
    assert not shown.window.empty.isHidden()
    records.append(in_state("waiting"))
    shown.window.refresh()
    assert shown.window.empty.isHidden()
    assert shown.window.table.rowCount() == 1


def test_a_vanished_selection_selects_nothing(qtbot, english) -> None:
    records = [in_state("waiting", "a"), in_state("sent", "b")]
    shown = Shown(qtbot, records)
    shown.window.select_id("a")
    assert shown.window.selected() is not None
    del records[0]
    shown.window.refresh()
    assert shown.window.selected() is None
    assert not shown.window.convert_button.isEnabled()


def test_an_unchanged_refresh_leaves_the_rows_alone(qtbot, english) -> None:
    shown = Shown(qtbot, [in_state("waiting", "a"), in_state("sent", "b")])
    item = shown.window.table.item(0, SUBJECT)
    item.setData(Qt.ItemDataRole.UserRole, "still here")
    shown.window.refresh()
    assert shown.window.table.item(0, SUBJECT).data(Qt.ItemDataRole.UserRole) == (
        "still here"
    )


def test_the_timer_runs_only_while_visible(qtbot, english) -> None:
    shown = Shown(qtbot, [in_state("waiting")])
    assert shown.window.timer.isActive()
    shown.window.hide()
    assert not shown.window.timer.isActive()


def test_long_texts_are_cut_with_the_whole_text_in_a_tooltip(qtbot, english) -> None:
    subject = "Invitation to the annual general meeting " * 6
    shown = Shown(qtbot, [record(subject=subject, state=HeldState.PARTLY_SENT.value)])
    window = shown.window
    window.resize(720, 400)
    qtbot.wait(50)
    header = window.table.horizontalHeader()
    assert header.length() <= window.table.viewport().width()
    assert window.table.item(0, SUBJECT).toolTip() == subject
