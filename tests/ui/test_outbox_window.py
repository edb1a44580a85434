"""The demo outbox shows delivered mail as a mail program does, and who saw whom.

Messages reach a real demo sink over SMTP, with the envelope a mail program gives.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from bccguard.adapters.demo_sink import DemoSink
from bccguard.core.bcc_conversion import to_relay_form
from bccguard.core.settings import LOOPBACK_HOST
from bccguard.demo import DEMO_SENDER, recipients_of, sample_mass_mail
from bccguard.ui.i18n import set_language
from bccguard.ui.outbox_window import (
    COULD_SEE,
    RECEIVED,
    RECIPIENTS,
    SUBJECT,
    OutboxWindow,
)

pytestmark = pytest.mark.gui

ENCODED = (
    b"From: =?utf-8?q?Jos=C3=A9_Mu=C3=B1oz?= <jose@example.org>\r\n"
    b"To: =?iso-8859-1?q?Ren=E9e?= <renee@example.org>, Bob <bob@example.org>\r\n"
    b"Subject: =?utf-8?b?Q2lhbywgY29tZSBzdGFpPyDwn5iK?=\r\n"
    b"Date: Tue, 01 Dec 2026 09:30:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="b1"\r\n'
    b"\r\n"
    b"--b1\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Caff=E8 alle dieci, gi=F9 al bar.\r\n"
    b"--b1\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>Caff\xc3\xa8 alle dieci</p>\r\n"
    b"--b1--\r\n"
)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[DemoSink]:
    running = DemoSink(tmp_path / "demo-outbox")
    running.start()
    yield running
    running.stop()


def deliver(sink: DemoSink, data: bytes, rcpts: list[str]) -> None:
    with smtplib.SMTP(LOOPBACK_HOST, sink.port, timeout=30) as client:
        client.sendmail(DEMO_SENDER, rcpts, data)


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def test_a_converted_message_showed_nobody_else(
    qtbot, qapp: QApplication, sink: DemoSink, english: None
) -> None:
    sample = sample_mass_mail(25)
    deliver(sink, to_relay_form(sample), recipients_of(sample))
    window = OutboxWindow(sink.delivered)
    qtbot.addWidget(window)
    row = window.list.topLevelItem(0)
    assert row.text(RECIPIENTS) == "25 people"
    assert row.text(COULD_SEE) == "nobody else"
    assert row.text(SUBJECT) == "Season's greetings from all of us"
    reading = window.view.toPlainText()
    assert "To: You <you@bccguard-demo.example>" in reading
    assert "Each recipient could see: nobody else" in reading
    assert "Delivered to: alice.rossi@gmail.com, bob.smith@libero.it" in reading
    assert "(envelope; 25 people)" in reading
    assert "warm wishes for the holidays" in reading
    assert "Content-Type" not in reading  # no source dump by default


def test_a_message_sent_as_is_shows_the_exposed_addresses(
    qtbot, qapp: QApplication, sink: DemoSink, english: None
) -> None:
    sample = sample_mass_mail(25)
    deliver(sink, to_relay_form(sample), recipients_of(sample))
    deliver(sink, sample, recipients_of(sample))
    window = OutboxWindow(sink.delivered)
    qtbot.addWidget(window)
    assert window.list.topLevelItemCount() == 2
    newest = window.list.topLevelItem(0)  # newest first, and shown
    assert newest.text(COULD_SEE) == "24 others"
    assert newest.font(COULD_SEE).bold()  # the red flag
    assert not window.list.topLevelItem(1).font(COULD_SEE).bold()
    reading = window.view.toPlainText()
    assert "Each recipient could see 24 other people's addresses:" in reading
    for address in recipients_of(sample):
        assert address in reading.partition("could see")[2]
    assert "Cc: Marco Gallo <marco.gallo@outlook.com>" in reading


def test_encoded_words_transfer_encoding_and_charset_are_decoded(
    qtbot, qapp: QApplication, sink: DemoSink, english: None
) -> None:
    deliver(sink, ENCODED, ["renee@example.org", "bob@example.org"])
    window = OutboxWindow(sink.delivered)
    qtbot.addWidget(window)
    reading = window.view.toPlainText()
    assert "From: José Muñoz <jose@example.org>" in reading
    assert "To: Renée <renee@example.org>, Bob <bob@example.org>" in reading
    assert "Subject: Ciao, come stai? 😊" in reading
    assert "Caffè alle dieci, giù al bar." in reading  # the plain part, decoded
    assert "=E8" not in reading
    assert "Each recipient could see 1 other person's address:" in reading
    assert window.list.topLevelItem(0).text(COULD_SEE) == "1 other"
    assert not window.list.topLevelItem(0).font(COULD_SEE).bold()  # one: no flag


def test_show_source_gives_the_message_as_it_arrived(
    qtbot, qapp: QApplication, sink: DemoSink, english: None
) -> None:
    deliver(sink, ENCODED, ["renee@example.org"])
    window = OutboxWindow(sink.delivered)
    qtbot.addWidget(window)
    window.show()
    assert window.pane.currentWidget() is window.view
    window.show_source.click()
    assert window.pane.currentWidget() is window.source
    source = window.source.toPlainText()
    assert "Envelope: from you@bccguard-demo.example to 1 recipients" in source
    assert "Caff=E8 alle dieci" in source


def test_the_empty_outbox_says_so_in_words(
    qtbot, qapp: QApplication, sink: DemoSink, english: None
) -> None:
    window = OutboxWindow(sink.delivered)
    qtbot.addWidget(window)
    window.show()
    assert window.empty.isVisible()
    assert window.empty.text().startswith("Nothing has arrived yet.")
    assert window.list.topLevelItemCount() == 0
    assert not window.reading.isVisible()  # no reading pane with nothing to read
    deliver(sink, ENCODED, ["renee@example.org"])
    window.refresh()
    assert not window.empty.isVisible()
    assert window.reading.isVisible()


def test_italian(qtbot, qapp: QApplication, sink: DemoSink) -> None:
    sample = sample_mass_mail(25)
    deliver(sink, sample, recipients_of(sample))
    set_language("it")
    try:
        window = OutboxWindow(sink.delivered)
        qtbot.addWidget(window)
        row = window.list.topLevelItem(0)
        assert row.text(RECIPIENTS) == "25 persone"
        assert row.text(COULD_SEE) == "24 altri"
        assert "(busta; 25 persone)" in window.view.toPlainText()
    finally:
        set_language("en")


def test_dates_have_no_english_names(qtbot, qapp: QApplication, sink: DemoSink) -> None:
    deliver(sink, ENCODED, ["renee@example.org"])
    set_language("it")
    try:
        window = OutboxWindow(sink.delivered, clock=lambda: 2e9)  # another day
        qtbot.addWidget(window)
        reading = window.view.toPlainText()
        assert "Data: 2026-12-01 " in reading
        assert "Tue" not in reading and "Dec" not in reading
        received = window.list.topLevelItem(0).text(RECEIVED)
        assert received[:2] == "20" and received.count("-") == 2
    finally:
        set_language("en")
