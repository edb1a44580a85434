"""Recipient rules on the IMAP paths, against a real Dovecot: the outbox converts
mail to an always-Bcc list though the policy asks; Sent mail wholly to a
never-hold team is no incident, with an outsider it is."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from imapclient import IMAPClient

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.core.rule_settings import ListSettings, RuleSettings
from bccguard.core.settings import Settings
from bccguard.events import MailboxAlertKind, MailboxStatus
from bccguard.mailbox_guard import MailboxGuard, imap_password_key
from tests.dovecot_server import PASSWORD, USER, Dovecot
from tests.smtp_sink import SinkServer
from tests.support import EventLog, MemorySecrets, wait_for
from tests.test_mailbox_guard import alerts, folder_messages

PARENTS = [f"parent{i}@home{i}.example" for i in range(3)]
TEAM = [f"t{i}@team.example" for i in range(15)]
LISTS = (ListSettings("Parents 3B", tuple(PARENTS)),)
RULES = (
    RuleSettings("Parents 3B", "bcc", lists=("Parents 3B",)),
    RuleSettings("Team", "never-hold", domains=("team.example",)),
)


def mail(to: list[str], message_id: str) -> bytes:
    return (
        f"From: Me <me@me.example>\r\nTo: {', '.join(to)}\r\nSubject: news\r\n"
        f"Message-ID: {message_id}\r\n\r\nhello\r\n"
    ).encode()


def start(
    dovecot: Dovecot,
    upstream: SinkServer,
    tmp_path: Path,
    log: SqliteIncidentLog | None = None,
) -> tuple[MailboxGuard, EventLog]:
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(USER, PASSWORD)
        client.create_folder("Outbox")
    account = replace(
        dovecot.account(),
        smtp_host="127.0.0.1",
        smtp_port=upstream.port,
        smtp_tls="none",
        outbox_folder="Outbox",
    )
    settings = Settings(accounts=(account,), lists=LISTS, rules=RULES)
    secrets = MemorySecrets()
    secrets.set(imap_password_key("home"), PASSWORD)
    events = EventLog()
    guard = MailboxGuard(tmp_path, settings, secrets, events, log)
    guard.start()
    wait_for(lambda: len([e for e in events.of(MailboxStatus) if e.ok]) == 4)
    return guard, events


def test_the_outbox_converts_mail_to_an_always_bcc_list(
    dovecot: Dovecot, upstream: SinkServer, tmp_path: Path
) -> None:
    guard, events = start(dovecot, upstream, tmp_path)
    try:
        dovecot.append("Outbox", mail(PARENTS, "<r1@me.example>"))
        wait_for(lambda: len(upstream.received) == 1)
        sent = upstream.received[0]
        assert sorted(sent.rcpt_tos) == sorted(PARENTS)
        header = sent.data.partition(b"\r\n\r\n")[0]
        assert not any(p.encode() in header for p in PARENTS)
        assert alerts(events, MailboxAlertKind.OUTBOX_HELD) == []
    finally:
        guard.stop()


def test_sent_mail_to_the_team_is_no_incident_but_an_outsider_makes_one(
    dovecot: Dovecot, upstream: SinkServer, tmp_path: Path
) -> None:
    log = SqliteIncidentLog(tmp_path / "incidents.sqlite3")
    guard, events = start(dovecot, upstream, tmp_path, log)
    try:
        dovecot.append("Sent", mail(TEAM, "<team@me.example>"))
        dovecot.append("Sent", mail([*TEAM, "out@side.example"], "<out@me.example>"))
        wait_for(lambda: len(alerts(events, MailboxAlertKind.SENT_EXPOSED)) == 1)
        assert [i.message_id for i in log.list()] == ["<out@me.example>"]
        assert log.list()[0].exposed_count == 16
        assert folder_messages(dovecot, "Outbox") == []
    finally:
        guard.stop()
