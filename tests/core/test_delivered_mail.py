"""A delivered message read as a mail program shows it, and who saw whom."""

from __future__ import annotations

from bccguard.core.delivered_mail import read_delivered

PEOPLE = ["ann@a.example", "bob@b.example", "cy@c.example"]


def delivered(raw: bytes, rcpts: list[str] = PEOPLE):  # type: ignore[no-untyped-def]
    return read_delivered("0001", raw, "me@x.example", rcpts, 1_700_000_000.0)


def test_undisclosed_recipients_show_nobody() -> None:
    mail = delivered(
        b"From: Me <me@x.example>\r\nTo: undisclosed-recipients:;\r\n"
        b"Subject: Hi\r\n\r\nHello\r\n"
    )
    assert mail.to == ("undisclosed-recipients:;",)
    assert mail.most_seen == 0 and not mail.exposed


def test_the_senders_own_address_is_nobody_else() -> None:
    mail = delivered(b"From: Me <me@x.example>\r\nTo: ME@X.example\r\n\r\nHi\r\n")
    assert mail.shown == () and mail.most_seen == 0


def test_each_sees_the_others_not_themselves() -> None:
    mail = delivered(
        b"From: me@x.example\r\nTo: ann@a.example, Bob <BOB@b.example>\r\n"
        b"Cc: cy@c.example\r\n\r\nHi\r\n"
    )
    assert mail.could_see("ann@a.example") == (
        "BOB@b.example",
        "cy@c.example",
    )  # as written
    assert mail.could_see("bob@b.example") == ("ann@a.example", "cy@c.example")
    assert mail.most_seen == 2 and mail.exposed


def test_someone_in_bcc_sees_everyone_in_to() -> None:
    mail = delivered(
        b"From: me@x.example\r\nTo: ann@a.example, bob@b.example\r\n\r\nHi\r\n",
        ["ann@a.example", "bob@b.example", "cy@c.example"],
    )
    assert mail.could_see("cy@c.example") == ("ann@a.example", "bob@b.example")
    assert mail.most_seen == 2


def test_an_html_only_body_is_shown_as_text() -> None:
    mail = delivered(
        b"From: me@x.example\r\nTo: ann@a.example\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"PHA+Q2lhbyAmYW1wOyBiZW52ZW51dGk8L3A+PHA+w6g8L3A+\r\n"
    )
    assert mail.body == "Ciao & benvenuti\nè"


def test_an_unreadable_date_is_kept_as_written() -> None:
    mail = delivered(b"From: me@x.example\r\nDate: yesterday\r\n\r\nHi\r\n")
    assert mail.date == "yesterday"
