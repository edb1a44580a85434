"""Undo send in the tray app: the countdown window, its Undo and Send now.

The window alone (rows, words, Esc), then the whole app with its real guard: a
real SMTP client submits through the proxy, the window counts down, and Undo
inside it holds the message while a message left alone goes (to the demo's SMTP
sink) once its time is up.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from dataclasses import replace
from email.utils import make_msgid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from bccguard.adapters.demo_sink import free_port
from bccguard.core.countdown import undone, with_countdown
from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.core.settings import Account, ProxySettings, Settings
from bccguard.ui.application import DesktopApp
from bccguard.ui.countdown_window import CountdownWindow
from bccguard.ui.held_window import explanation, headline, outcome_summary
from bccguard.ui.hold_dialog import HoldDialog
from bccguard.ui.i18n import set_language
from tests.support import MemorySecrets
from tests.ui.held_records import NOW, record

SENDER = "me@x.example"
PEOPLE = ["ann@a.example", "bob@b.example", "cy@c.example"]


def counting(held_id: str, count: int, seconds: float, subject: str) -> HeldMessage:
    base = record(held_id, count, subject=subject, exposed_count=0, origin="passed")
    return with_countdown(base, NOW, seconds)


class Calls:
    def __init__(self) -> None:
        self.undo: list[str] = []
        self.send_now: list[str] = []


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def window(qtbot, calls: Calls) -> CountdownWindow:
    shown = CountdownWindow(calls.undo.append, calls.send_now.append, clock=lambda: NOW)
    qtbot.addWidget(shown)
    return shown


def test_one_row_per_message_soonest_first_with_the_seconds_left(
    window: CountdownWindow,
) -> None:
    later = counting("later001", 1, 30, "Minutes")
    soon = counting("soon0001", 3, 10, "Lunch")
    window.show_records([soon, later], reveal=True)
    assert window.isVisible()
    assert window.ids() == ["soon0001", "later001"]
    assert window.rows["soon0001"].line.text() == "Sending to 3 people in 10 s"
    assert window.rows["later001"].line.text() == "Sending to 1 person in 30 s"
    assert "Lunch" in window.rows["soon0001"].about.text()
    assert window.heading.text().startswith("2 messages wait")


def test_it_comes_up_in_the_corner_without_taking_the_keyboard(
    window: CountdownWindow,
) -> None:
    assert window.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    window.show_records([counting("aaaa0001", 3, 10, "A")], reveal=True)
    area = window.screen().availableGeometry()
    frame = window.geometry()
    assert area.right() - 60 < frame.right() <= area.right()
    assert area.bottom() - 90 < frame.bottom() <= area.bottom()


def test_undo_and_send_now_name_their_message(
    qtbot, window: CountdownWindow, calls: Calls
) -> None:
    window.show_records(
        [counting("aaaa0001", 3, 10, "A"), counting("bbbb0002", 2, 20, "B")],
        reveal=True,
    )
    qtbot.mouseClick(window.rows["bbbb0002"].undo_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.rows["aaaa0001"].send_button, Qt.MouseButton.LeftButton)
    assert calls.undo == ["bbbb0002"] and calls.send_now == ["aaaa0001"]
    assert not window.rows["bbbb0002"].undo_button.isEnabled()  # clicked once


def test_escape_and_closing_hide_it_without_undoing(
    qtbot, window: CountdownWindow, calls: Calls
) -> None:
    window.show_records([counting("aaaa0001", 3, 10, "A")], reveal=True)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()
    window.show_records([counting("aaaa0001", 3, 10, "A")], reveal=True)
    window.close()
    assert not window.isVisible()
    assert calls.undo == [] and calls.send_now == []
    # A newer list without a new countdown keeps it hidden.
    window.show_records([counting("aaaa0001", 3, 10, "A")])
    assert not window.isVisible()


def test_a_message_that_went_leaves_and_the_last_one_hides_it(
    window: CountdownWindow,
) -> None:
    a, b = counting("aaaa0001", 3, 10, "A"), counting("bbbb0002", 2, 20, "B")
    window.show_records([a, b], reveal=True)
    window.show_records([b])
    assert window.ids() == ["bbbb0002"] and window.isVisible()
    window.show_records([])
    assert window.ids() == [] and not window.isVisible()


def test_italian_words(window: CountdownWindow) -> None:
    set_language("it")
    try:
        window.show_records(
            [counting("aaaa0001", 3, 10, "A"), counting("bbbb0002", 1, 5, "B")],
            reveal=True,
        )
        assert window.rows["aaaa0001"].line.text() == "Invio a 3 persone tra 10 s"
        assert window.rows["bbbb0002"].line.text() == "Invio a 1 persona tra 5 s"
    finally:
        set_language("en")


def test_the_held_words_for_a_countdown_and_an_undone_message() -> None:
    going = counting("aaaa0001", 3, 10, "A")
    at = time.strftime("%H:%M", time.localtime(NOW + 10))
    assert outcome_summary(going, NOW) == f"Goes at {at} unless you undo it"
    assert explanation(going, NOW).startswith("Undo send: it goes when its time")
    stopped = undone(going, NOW + 2)
    assert headline(stopped, NOW) == "You stopped this message: it was not sent"
    words = explanation(stopped, NOW)
    assert words.startswith("You pressed Undo before it went.")
    assert "server was slow" not in words  # not the words of a message taken on


@pytest.mark.parametrize(("exposed", "asks"), [(0, False), (3, True)])
def test_send_as_is_of_an_undone_message_asks_only_when_someone_is_exposed(
    qtbot, exposed: int, asks: bool
) -> None:
    base = record("aaaa0001", 3, subject="A", exposed_count=exposed, origin="passed")
    stopped = undone(with_countdown(base, NOW, 10), NOW + 1)
    decided: list[tuple[str, Resolution]] = []
    dialog = HoldDialog(stopped, lambda i, r: decided.append((i, r)))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.as_is_button, Qt.MouseButton.LeftButton)
    assert dialog.confirm.isVisible() is asks  # "shows 0 people..." is never asked
    if asks:
        assert "3 people" in dialog.confirm.question.text()
        qtbot.mouseClick(dialog.confirm.yes_button, Qt.MouseButton.LeftButton)
    assert decided == [("aaaa0001", Resolution.AS_IS)]


# -- the whole app, with its real guard ---------------------------------------------


@pytest.fixture
def desktop(qapp: QApplication, tmp_path: Path) -> Iterator[DesktopApp]:
    account = Account(
        name="work", email=SENDER, smtp_host="127.0.0.1", smtp_tls="none", undo_delay=5
    )
    settings = Settings(
        proxy=ProxySettings(port=free_port(), decision_timeout=30), accounts=(account,)
    )
    app = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    app.start()
    yield app
    app.shutdown()


def send(app: DesktopApp) -> tuple[int, str]:
    data = (
        f"From: Me <{SENDER}>\r\nTo: {', '.join(PEOPLE)}\r\nSubject: Lunch\r\n"
        f"Message-ID: {make_msgid()}\r\n\r\nAt one?\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", app.guard.proxy.port, timeout=30) as client:
        client.login("me", app.guard.local_secret)
        client.mail(SENDER)
        for rcpt in PEOPLE:
            client.rcpt(rcpt)
        code, text = client.data(data)
    return code, text.decode()


def only(app: DesktopApp) -> HeldMessage:
    (held,) = app.guard.held_messages()
    return held


def test_undo_inside_the_window_holds_the_message(qtbot, desktop: DesktopApp) -> None:
    assert send(desktop)[0] == 250
    window = desktop.countdown
    qtbot.waitUntil(lambda: window.isVisible() and len(window.rows) == 1)
    held_id = window.ids()[0]
    assert window.rows[held_id].line.text().startswith("Sending to 3 people in ")
    qtbot.mouseClick(window.rows[held_id].undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: held_id in desktop.dialogs)
    assert only(desktop).state is HeldState.WAITING
    assert not window.isVisible()
    dialog = desktop.dialogs[held_id]
    assert isinstance(dialog, HoldDialog)
    assert dialog.headline.text() == "You stopped this message: it was not sent"
    # Past its time nothing goes by itself.
    due = only(desktop).received_at + 5
    qtbot.waitUntil(lambda: time.time() > due + 1, timeout=15_000)
    assert desktop.sink is not None and desktop.sink.messages() == []


def test_after_the_window_the_message_goes_once(qtbot, desktop: DesktopApp) -> None:
    assert send(desktop)[0] == 250
    window = desktop.countdown
    qtbot.waitUntil(lambda: window.isVisible() and len(window.rows) == 1)
    assert desktop.sink is not None and desktop.sink.messages() == []
    qtbot.waitUntil(lambda: only(desktop).state is HeldState.SENT, timeout=15_000)
    qtbot.waitUntil(lambda: not window.isVisible())
    assert len(desktop.sink.messages()) == 1
    assert desktop.dialogs == {}  # nothing to decide
    qtbot.waitUntil(
        lambda: ("Sent", "“Lunch” went to 3 people.") in desktop.notifications
    )


def test_send_now_in_the_window_sends_at_once(qtbot, desktop: DesktopApp) -> None:
    (account,) = desktop.guard.settings.accounts
    desktop.guard.settings = replace(
        desktop.guard.settings, accounts=(replace(account, undo_delay=60),)
    )
    assert send(desktop)[0] == 250
    window = desktop.countdown
    qtbot.waitUntil(lambda: window.isVisible() and len(window.rows) == 1)
    held_id = window.ids()[0]
    qtbot.mouseClick(window.rows[held_id].send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: only(desktop).state is HeldState.SENT, timeout=15_000)
    assert desktop.sink is not None and len(desktop.sink.messages()) == 1
