"""Recipient rules through the proxy: a real SMTP client -> proxy -> aiosmtpd."""

from __future__ import annotations

from email.utils import make_msgid

from bccguard.core.held import Resolution
from bccguard.core.rule_settings import ListSettings, RuleSettings
from bccguard.core.settings import PolicySettings, Settings
from tests.service.proxy_client import submit, waiting
from tests.smtp_sink import SinkServer
from tests.support import GuardFactory

PARENTS = [f"parent{i}@home{i}.example" for i in range(4)]
TEAM = [f"t{i}@team.example" for i in range(20)]
SETTINGS = Settings(
    policy=PolicySettings(action="ask"),
    lists=(ListSettings("Parents 3B", tuple(PARENTS)),),
    rules=(
        RuleSettings("Parents 3B", "bcc", lists=("Parents 3B",)),
        RuleSettings("Team", "never-hold", domains=("team.example",)),
    ),
)


def mail(to: list[str]) -> bytes:
    return (
        f"From: Me <me@sender.example>\r\nTo: {', '.join(to)}\r\n"
        f"Subject: news\r\nMessage-ID: {make_msgid()}\r\n\r\nHello\r\n"
    ).encode()


def test_mail_to_an_always_bcc_list_is_converted_without_asking(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard(SETTINGS)
    data = mail(PARENTS)
    code, text = submit(guard, data, PARENTS)
    assert code == 250, text
    assert len(upstream.received) == 1
    sent = upstream.received[0]
    assert sent.rcpt_tos == PARENTS
    header, _, body = sent.data.partition(b"\r\n\r\n")
    assert not any(p.encode() in header for p in PARENTS)
    assert b"\nBcc:" not in header
    assert body == data.partition(b"\r\n\r\n")[2]


def test_mail_wholly_to_a_never_hold_team_passes_as_written(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard(SETTINGS)
    data = mail(TEAM)
    code, text = submit(guard, data, TEAM)
    assert code == 250, text
    assert upstream.received[0].data == data


def test_an_outsider_on_the_team_mail_is_still_held(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard(SETTINGS, decision_timeout=1.0)
    rcpts = [*TEAM, "outsider@elsewhere.example"]
    code, text = submit(guard, mail(rcpts), rcpts)
    assert code == 451, text
    held = waiting(guard)
    assert len(held) == 1
    assert any("21 recipients" in r for r in held[0].reasons)
    assert upstream.received == []
    guard.decide(held[0].id, Resolution.DISCARD).result(30)
    assert upstream.received == []
