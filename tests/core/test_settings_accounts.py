"""Account settings that cannot work are refused where they are read, by key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bccguard.adapters import smtp_relay
from bccguard.adapters.settings_file import load_settings
from bccguard.core.hosts import is_loopback_host, is_plain_host
from bccguard.core.settings import (
    Account,
    SettingsError,
    account_from_mapping,
    settings_from_mapping,
)

BASE = {"name": "work", "email": "me@corp.example", "smtp_host": "smtp.example.com"}


def refused(**values: Any) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping({"accounts": [{**BASE, **values}]})
    return caught.value


def test_no_tls_to_a_remote_server_is_refused_with_the_key_path() -> None:
    error = refused(smtp_tls="none")
    assert str(error) == (
        "accounts[0].smtp_tls: 'none' is only allowed for a server on this machine, "
        "not smtp.example.com"
    )
    assert error.path == "accounts[0].smtp_tls"
    assert error.problem == (
        "'none' is only allowed for a server on this machine, not {host}"
    )
    assert error.values == {"host": "smtp.example.com"}


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1.2.3", "localhost", "LocalHost.", "mail.localhost", "::1"],
)
def test_no_tls_to_this_machine_is_allowed(host: str) -> None:
    (account,) = settings_from_mapping(
        {"accounts": [{**BASE, "smtp_host": host, "smtp_tls": "none"}]}
    ).accounts
    assert (account.smtp_host, account.smtp_tls) == (host, "none")


def test_the_second_account_is_named_by_its_index() -> None:
    good = {**BASE, "name": "a"}
    bad = {**BASE, "name": "b", "smtp_tls": "none"}
    with pytest.raises(SettingsError, match=r"^accounts\[1\]\.smtp_tls: "):
        settings_from_mapping({"accounts": [good, bad]})


def test_no_tls_to_a_remote_imap_server_is_refused() -> None:
    error = refused(imap_host="imap.example.com", imap_tls="none")
    assert str(error) == (
        "accounts[0].imap_tls: 'none' is only allowed for a server on this machine, "
        "not imap.example.com"
    )


def test_imap_tls_without_an_imap_server_does_not_matter() -> None:
    (account,) = settings_from_mapping(
        {"accounts": [{**BASE, "imap_tls": "none"}]}
    ).accounts
    assert account.imap_host == ""


def test_plain_imap_to_this_machine_is_allowed() -> None:
    (account,) = settings_from_mapping(
        {"accounts": [{**BASE, "imap_host": "[::1]", "imap_tls": "none"}]}
    ).accounts
    assert account.imap_host == "[::1]"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"smtp_host": "   "}, "accounts[0].smtp_host: required"),
        ({"smtp_port": 0}, "accounts[0].smtp_port: must be 1–65535"),
        ({"smtp_port": 65536}, "accounts[0].smtp_port: must be 1–65535"),
        ({"imap_port": 0}, "accounts[0].imap_port: must be 1–65535"),
        ({"imap_port": 99_999}, "accounts[0].imap_port: must be 1–65535"),
        (
            {"imap_tls": "ssl"},
            "accounts[0].imap_tls: must be one of implicit, starttls, none",
        ),
        (
            {"provider": "aol"},
            "accounts[0].provider: must be one of gmail, microsoft365, other",
        ),
        ({"max_recipients": -1}, "accounts[0].max_recipients: must be 0–100000"),
        (
            {"max_recipients": 100_001},
            "accounts[0].max_recipients: must be 0–100000",
        ),
        (
            {"smtp_host": "smtp.example.com:587"},
            "accounts[0].smtp_host: must be a server name or address alone "
            "(no scheme, port or spaces), not smtp.example.com:587",
        ),
        (
            {"smtp_host": "smtps://smtp.example.com"},
            "accounts[0].smtp_host: must be a server name or address alone "
            "(no scheme, port or spaces), not smtps://smtp.example.com",
        ),
        (
            {"smtp_host": "smtp example.com"},
            "accounts[0].smtp_host: must be a server name or address alone "
            "(no scheme, port or spaces), not smtp example.com",
        ),
        (
            {"imap_host": "imap.example.com:993"},
            "accounts[0].imap_host: must be a server name or address alone "
            "(no scheme, port or spaces), not imap.example.com:993",
        ),
        (
            {"outbox_folder": "Outbox"},
            "accounts[0].outbox_folder: needs an IMAP server (imap_host)",
        ),
    ],
)
def test_values_that_cannot_work_name_their_key(
    values: dict[str, Any], message: str
) -> None:
    assert str(refused(**values)) == message


def test_one_account_as_entered_is_named_without_a_table() -> None:
    with pytest.raises(SettingsError) as caught:
        account_from_mapping({**BASE, "smtp_tls": "none"})
    assert str(caught.value) == (
        "smtp_tls: 'none' is only allowed for a server on this machine, "
        "not smtp.example.com"
    )
    assert account_from_mapping(BASE) == Account(
        "work", "me@corp.example", "smtp.example.com"
    )


def test_a_hand_edited_file_is_refused_at_load(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[accounts]]\nname = "work"\nemail = "me@corp.example"\n'
        'smtp_host = "smtp.example.com"\nsmtp_tls = "none"\n',
        encoding="utf-8",
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        "accounts[0].smtp_tls: 'none' is only allowed for a server on this machine, "
        "not smtp.example.com"
    )


@pytest.mark.parametrize(
    ("host", "plain"),
    [
        ("smtp.example.com", True),
        ("192.0.2.1", True),
        ("2001:db8::1", True),
        ("[2001:db8::1]", True),
        ("smtp.example.com:25", False),
        ("user@smtp.example.com", False),
        ("https://smtp.example.com/", False),
        ("", False),
    ],
)
def test_plain_hosts(host: str, plain: bool) -> None:
    assert is_plain_host(host) is plain


def test_the_relay_uses_the_same_loopback_rule() -> None:
    assert smtp_relay.is_loopback_host is is_loopback_host
    assert not is_loopback_host("smtp.example.com")
    assert not is_loopback_host("localhost.example.com")
