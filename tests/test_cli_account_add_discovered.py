# ruff: noqa: F811  (the peers are fixtures imported from tests.discovery_peers)
"""``bccguard account add EMAIL``: servers found by the local autoconfig, the
password tried against a real AUTH-requiring SMTP server and Dovecot, then saved;
the old ``account add NAME --email --smtp-host`` form keeps working."""

from __future__ import annotations

import io
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from bccguard import cli, cli_guard
from bccguard.adapters.dns_discovery import DnsDiscovery
from bccguard.adapters.secrets import FileSecretStore
from bccguard.adapters.server_discovery import ServerDiscovery
from bccguard.adapters.settings_file import load_settings
from tests.discovery_peers import (  # noqa: F401
    SIGN_IN_EMAIL,
    SIGN_IN_PASSWORD,
    SIGN_IN_USER,
    AutoconfigServer,
    DiscoveryCa,
    DnsServer,
    MailHost,
    autoconfig_server,
    discovery_ca,
    dns_server,
    mail_host,
)


@pytest.fixture
def home(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    discovery_ca: DiscoveryCa,
    autoconfig_server: AutoconfigServer,
    dns_server: DnsServer,
) -> Path:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("BCCGUARD_HOME", str(folder))
    # No secure keyring: passwords go to the private file, where the test looks.
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    request.addfinalizer(lambda: keyring.set_keyring(previous))
    # The connection test trusts the system's certificates: here, the test CA.
    monkeypatch.setenv("SSL_CERT_FILE", discovery_ca.ca_file)
    lookup = DnsDiscovery(dns_server.resolver(), timeout=3)
    discovery = ServerDiscovery(autoconfig_server.autoconfig(), lookup.srv, lookup.mx)
    monkeypatch.setattr(cli_guard, "_discovery", lambda: discovery)
    return folder


def add(monkeypatch: pytest.MonkeyPatch, password: str, *argv: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return cli.main(["account", "add", *argv, "--password-stdin"])


def test_an_address_is_enough(
    home: Path,
    mail_host: MailHost,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert add(monkeypatch, SIGN_IN_PASSWORD, SIGN_IN_EMAIL) == 0
    out = capsys.readouterr().out
    assert "Found by the domain's autoconfig" in out
    assert f"SMTP 127.0.0.1:{mail_host.smtp_port}: signed in" in out
    assert f"IMAP 127.0.0.1:{mail_host.imap_port}: signed in" in out
    (account,) = load_settings(home / "config.toml").accounts
    assert (account.name, account.email) == (SIGN_IN_EMAIL, SIGN_IN_EMAIL)
    assert (account.smtp_host, account.smtp_port, account.smtp_tls) == (
        "127.0.0.1",
        mail_host.smtp_port,
        "starttls",
    )
    assert (account.imap_port, account.imap_tls) == (mail_host.imap_port, "none")
    assert account.smtp_username == SIGN_IN_USER
    stored = FileSecretStore(home / "secrets.json").get(f"account:{account.name}")
    assert stored == SIGN_IN_PASSWORD
    assert mail_host.sink.received == []  # type: ignore[attr-defined]


def test_a_name_with_email_finds_the_servers_too(
    home: Path, mail_host: MailHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert add(monkeypatch, SIGN_IN_PASSWORD, "Work", "--email", SIGN_IN_EMAIL) == 0
    (account,) = load_settings(home / "config.toml").accounts
    assert account.name == "Work" and account.smtp_port == mail_host.smtp_port


def test_a_refused_password_saves_nothing(
    home: Path,
    mail_host: MailHost,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert add(monkeypatch, "wrong", SIGN_IN_EMAIL) == 1
    captured = capsys.readouterr()
    assert "the user name or password was refused" in captured.out
    assert "Not saved" in captured.err
    assert not (home / "config.toml").exists()


def test_servers_elsewhere_found_by_srv_need_yes(
    home: Path,
    dns_server: DnsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dns_server.add(
        "_submissions._tcp.corp.example", "SRV", "0 1 465 smtp.mailhost.example."
    )
    assert add(monkeypatch, "", SIGN_IN_EMAIL) == 2
    assert "outside corp.example" in capsys.readouterr().err
    assert not (home / "config.toml").exists()
    assert add(monkeypatch, "", SIGN_IN_EMAIL, "--yes") == 0
    (account,) = load_settings(home / "config.toml").accounts
    assert (account.smtp_host, account.smtp_tls) == (
        "smtp.mailhost.example",
        "implicit",
    )


def test_nothing_found_says_how_to_give_the_servers(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(monkeypatch, "", SIGN_IN_EMAIL) == 2
    assert "give them with --smtp-host" in capsys.readouterr().err


def test_the_scripted_form_still_saves_what_it_is_given(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ("old", "--email", "me@corp.example", "--smtp-host", "smtp.corp.example")
    assert add(monkeypatch, "pw", *argv) == 0
    (account,) = load_settings(home / "config.toml").accounts
    assert (account.name, account.smtp_host, account.smtp_port) == (
        "old",
        "smtp.corp.example",
        587,
    )


def test_smtp_host_without_email_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(monkeypatch, "", "old", "--smtp-host", "smtp.corp.example") == 2
    assert "--email is required" in capsys.readouterr().err
