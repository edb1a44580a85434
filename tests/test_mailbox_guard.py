"""The mailbox guard against a real Dovecot: Sent -> incident, Drafts -> warning,
INBOX reply-all -> counted on the incident."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from imapclient import IMAPClient

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.core.incidents import IncidentKind
from bccguard.core.settings import Settings
from bccguard.events import MailboxAlert, MailboxAlertKind, MailboxStatus
from bccguard.mailbox_guard import MailboxGuard, imap_password_key
from tests.dovecot_server import PASSWORD, USER, Dovecot, mass_mail
from tests.smtp_sink import SinkServer
from tests.support import EventLog, MemorySecrets, wait_for


@pytest.fixture
def guarded(
    dovecot: Dovecot, tmp_path: Path
) -> Iterator[tuple[MailboxGuard, EventLog, SqliteIncidentLog]]:
    account = dovecot.account()
    secrets = MemorySecrets()
    secrets.set(imap_password_key("home"), PASSWORD)
    events = EventLog()
    log = SqliteIncidentLog(tmp_path / "incidents.sqlite3")
    guard = MailboxGuard(tmp_path, Settings(accounts=(account,)), secrets, events, log)
    guard.start()
    wait_for(lambda: len([e for e in events.of(MailboxStatus) if e.ok]) == 3)
    yield guard, events, log
    guard.stop()


def alerts(events: EventLog, kind: MailboxAlertKind) -> list[MailboxAlert]:
    return [e for e in events.of(MailboxAlert) if e.kind is kind]  # type: ignore[union-attr]


def test_sent_with_forty_strangers_becomes_an_incident(dovecot, guarded) -> None:
    _, events, log = guarded
    started = time.monotonic()
    dovecot.append("Sent", mass_mail(40, "<party@me.example>"))
    wait_for(lambda: len(alerts(events, MailboxAlertKind.SENT_EXPOSED)) == 1)
    assert time.monotonic() - started < 5
    (incident,) = log.list()
    assert incident.kind is IncidentKind.DETECTED_IN_SENT
    assert incident.exposed_count == 40
    assert alerts(events, MailboxAlertKind.SENT_EXPOSED)[0].incident_id == incident.id


def test_small_messages_raise_nothing(dovecot, guarded) -> None:
    _, events, log = guarded
    dovecot.append("Sent", mass_mail(3, "<small@me.example>"))
    dovecot.append("Drafts", mass_mail(3, "<small-draft@me.example>"))
    dovecot.append("Sent", mass_mail(40, "<marker@me.example>"))
    wait_for(lambda: len(alerts(events, MailboxAlertKind.SENT_EXPOSED)) == 1)
    assert alerts(events, MailboxAlertKind.RISKY_DRAFT) == []
    assert len(log.list()) == 1


def test_risky_draft_is_an_early_warning(dovecot, guarded) -> None:
    _, events, log = guarded
    dovecot.append("Drafts", mass_mail(25, "<draft@me.example>"))
    wait_for(lambda: len(alerts(events, MailboxAlertKind.RISKY_DRAFT)) == 1)
    alert = alerts(events, MailboxAlertKind.RISKY_DRAFT)[0]
    assert alert.exposed_count == 25 and alert.folder == "Drafts"
    assert log.list() == []  # nothing went out: no incident


def test_reply_all_on_the_incident_thread_is_counted(dovecot, guarded) -> None:
    _, events, log = guarded
    dovecot.append("Sent", mass_mail(40, "<xmas@me.example>"))
    wait_for(lambda: len(log.list()) == 1)
    for n in range(2):
        reply = mass_mail(
            40,
            f"<reply{n}@s1.example>",
            extra="In-Reply-To: <xmas@me.example>\r\nReferences: <xmas@me.example>\r\n",
        )
        dovecot.append("INBOX", reply)
    wait_for(lambda: len(alerts(events, MailboxAlertKind.REPLY_ALL)) == 2)
    assert log.list()[0].reply_all_count == 2
    assert alerts(events, MailboxAlertKind.REPLY_ALL)[-1].reply_all_count == 2


def test_old_mail_on_the_first_scan_is_not_news(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    dovecot.append(
        "Sent",
        mass_mail(40, "<old@me.example>"),
        when=datetime.now() - timedelta(days=400),
    )
    dovecot.append("Sent", mass_mail(40, "<recent@me.example>"))
    account = dovecot.account()
    secrets = MemorySecrets()
    secrets.set("account:home", PASSWORD)  # the SMTP password serves IMAP too
    events = EventLog()
    log = SqliteIncidentLog(tmp_path / "incidents.sqlite3")
    guard = MailboxGuard(tmp_path, Settings(accounts=(account,)), secrets, events, log)
    guard.start()
    try:
        wait_for(lambda: len(log.list()) == 1)
        time.sleep(0.5)
        assert [i.message_id for i in log.list()] == ["<recent@me.example>"]
    finally:
        guard.stop()


def outbox_guard(
    dovecot: Dovecot, upstream: SinkServer, tmp_path: Path, **account: object
) -> tuple[MailboxGuard, EventLog]:
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(USER, PASSWORD)
        client.create_folder("Outbox")
    settings = Settings(
        accounts=(
            replace(
                dovecot.account(),
                smtp_host="127.0.0.1",
                smtp_port=upstream.port,
                smtp_tls="none",
                outbox_folder="Outbox",
                **account,
            ),
        )
    )
    secrets = MemorySecrets()
    secrets.set(imap_password_key("home"), PASSWORD)
    events = EventLog()
    guard = MailboxGuard(
        tmp_path,
        settings,
        secrets,
        events,
        None,
        watcher_options={"retry_interval": 0.5, "max_backoff": 1.0},
    )
    guard.start()
    wait_for(lambda: len([e for e in events.of(MailboxStatus) if e.ok]) == 4)
    return guard, events


def folder_messages(dovecot: Dovecot, folder: str) -> list[bytes]:
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(USER, PASSWORD)
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    # A message the guard expunges between SEARCH and FETCH comes back without
    # a body: it is no longer in the folder.
    bodies = (v.get(b"BODY[]") for v in fetched.values())
    return [bytes(body) for body in bodies if body is not None]


SMALL = (
    b"From: Me <me@me.example>\r\nTo: friend@x.example\r\n"
    b"Bcc: secret@y.example\r\nSubject: hi\r\nMessage-ID: <o1@me.example>\r\n"
    b"\r\nhello\r\n"
)


def test_outbox_sends_files_in_sent_and_never_transmits_bcc(
    dovecot: Dovecot, upstream: SinkServer, tmp_path: Path
) -> None:
    guard, _ = outbox_guard(dovecot, upstream, tmp_path)
    try:
        dovecot.append("Outbox", SMALL)
        wait_for(lambda: folder_messages(dovecot, "Outbox") == [])
        (sent,) = upstream.received
        assert sorted(sent.rcpt_tos) == ["friend@x.example", "secret@y.example"]
        assert b"Bcc:" not in sent.data and b"secret@y.example" not in sent.data
        assert folder_messages(dovecot, "Sent") == [SMALL]
    finally:
        guard.stop()


def test_outbox_converts_when_the_policy_converts(
    dovecot: Dovecot, upstream: SinkServer, tmp_path: Path
) -> None:
    guard, _ = outbox_guard(dovecot, upstream, tmp_path, action="convert")
    try:
        dovecot.append("Outbox", mass_mail(30, "<o2@me.example>"))
        wait_for(lambda: len(upstream.received) == 1)
        sent = upstream.received[0]
        assert len(sent.rcpt_tos) == 30
        assert b"p1@s1.example" not in sent.data.partition(b"\r\n\r\n")[0]
        wait_for(lambda: len(folder_messages(dovecot, "Sent")) == 1)
        filed = folder_messages(dovecot, "Sent")[0]
        assert b"Bcc:" in filed  # the Sent copy says who got it
    finally:
        guard.stop()


def test_outbox_holds_what_the_policy_asks_about(
    dovecot: Dovecot, upstream: SinkServer, tmp_path: Path
) -> None:
    guard, events = outbox_guard(dovecot, upstream, tmp_path)
    try:
        dovecot.append("Outbox", mass_mail(30, "<o3@me.example>"))
        wait_for(lambda: len(alerts(events, MailboxAlertKind.OUTBOX_HELD)) == 1)
        assert upstream.received == []
        assert len(folder_messages(dovecot, "Outbox")) == 1
    finally:
        guard.stop()


def test_outbox_keeps_the_message_while_the_upstream_is_down(
    dovecot: Dovecot, upstream: SinkServer, tmp_path: Path
) -> None:
    upstream.handler.reply = "451 4.3.0 try again later"
    guard, _ = outbox_guard(dovecot, upstream, tmp_path)
    try:
        dovecot.append("Outbox", SMALL)
        time.sleep(2.0)
        assert len(folder_messages(dovecot, "Outbox")) == 1
        assert folder_messages(dovecot, "Sent") == []
        upstream.handler.reply = "250 2.0.0 OK queued"
        wait_for(lambda: folder_messages(dovecot, "Outbox") == [], timeout=20)
        assert len(upstream.received) == 1
        assert folder_messages(dovecot, "Sent") == [SMALL]
    finally:
        guard.stop()


def idn_mail(message_id: str, *, upper: bool = False, extra: str = "") -> bytes:
    """40 strangers at Unicode domains; ``upper``: the same people in capitals."""
    people = [f"p{i}@bücher{i % 9}.example" for i in range(40)]
    to = ", ".join(p.upper() if upper else p for p in people)
    return (
        f"From: Me <me@me.example>\r\nTo: {to}\r\nSubject: Party\r\n"
        f"Message-ID: {message_id}\r\n{extra}\r\nhello\r\n"
    ).encode()


def test_a_reply_all_is_recognised_by_person_not_by_spelling(dovecot, guarded) -> None:
    # The incident records the addresses as written (Unicode domains); a reply
    # shows the same people in capitals: they are the same people.
    _, events, log = guarded
    dovecot.append("Sent", idn_mail("<idn@me.example>"))
    wait_for(lambda: len(log.list()) == 1)
    thread = "In-Reply-To: <idn@me.example>\r\nReferences: <idn@me.example>\r\n"
    dovecot.append(
        "INBOX", idn_mail("<idn-reply@s1.example>", upper=True, extra=thread)
    )
    wait_for(lambda: len(alerts(events, MailboxAlertKind.REPLY_ALL)) == 1)
    assert log.list()[0].reply_all_count == 1
