# ruff: noqa: F811  (the peers are fixtures imported from tests.discovery_peers)
"""``bccguard account discover`` prints what it found and where from, saves nothing,
and needs no network for the bundled providers."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from bccguard import cli, cli_guard
from bccguard.adapters.dns_discovery import DnsDiscovery
from bccguard.adapters.server_discovery import ServerDiscovery
from tests.discovery_peers import (  # noqa: F401
    AutoconfigServer,
    DnsServer,
    autoconfig_server,
    autoconfig_xml,
    discovery_ca,
    dns_server,
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("BCCGUARD_HOME", str(folder))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return folder


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every name lookup or connection attempt is recorded and fails."""
    tried: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        tried.append(repr(args[:2]))
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return tried


def test_bundled_provider_as_json_without_network(
    home: Path, no_network: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["account", "discover", "someone@gmail.com", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {
        k: found[k]
        for k in (
            "smtp_host",
            "smtp_port",
            "smtp_tls",
            "imap_host",
            "imap_port",
            "imap_tls",
            "auth",
            "source",
        )
    } == {
        "smtp_host": "smtp.gmail.com",
        "smtp_port": 465,
        "smtp_tls": "implicit",
        "imap_host": "imap.gmail.com",
        "imap_port": 993,
        "imap_tls": "implicit",
        "auth": "oauth2-google",
        "source": "bundled",
    }
    assert no_network == []
    assert list(home.iterdir()) == []  # nothing saved


def test_bundled_provider_in_words(
    home: Path, no_network: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["account", "discover", "qualcuno@libero.it"]) == 0
    out = capsys.readouterr().out
    assert "BccGuard's table of providers" in out
    assert "smtp.libero.it:465 (implicit)" in out
    assert "imapmail.libero.it:993 (implicit)" in out
    assert no_network == []


def test_not_an_address_is_one_line_exit_2(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["account", "discover", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "not an e-mail address" in err
    assert "Traceback" not in err


@pytest.fixture
def local_discovery(
    monkeypatch: pytest.MonkeyPatch,
    autoconfig_server: AutoconfigServer,
    dns_server: DnsServer,
) -> tuple[AutoconfigServer, DnsServer]:
    """The commands look at the local HTTPS and DNS servers."""
    lookup = DnsDiscovery(dns_server.resolver(), timeout=3)
    discovery = ServerDiscovery(autoconfig_server.autoconfig(), lookup.srv, lookup.mx)
    monkeypatch.setattr(cli_guard, "_discovery", lambda: discovery)
    return autoconfig_server, dns_server


def test_autoconfig_answer_as_json(
    home: Path,
    local_discovery: tuple[AutoconfigServer, DnsServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    autoconfig, _ = local_discovery
    autoconfig.serve(
        "corp.example",
        autoconfig_xml(
            ("smtp.corp.example", 465, "SSL"), ("imap.corp.example", 993, "SSL")
        ),
    )
    assert cli.main(["account", "discover", "anna@corp.example", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["source"] == "autoconfig"
    assert (found["smtp_host"], found["smtp_port"], found["smtp_tls"]) == (
        "smtp.corp.example",
        465,
        "implicit",
    )
    assert found["auth"] == "password"
    assert found["origin"].startswith(autoconfig.base)


def test_srv_servers_elsewhere_are_flagged_in_words(
    home: Path,
    local_discovery: tuple[AutoconfigServer, DnsServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, dns = local_discovery
    dns.add("_submission._tcp.corp.example", "SRV", "0 1 587 smtp.mailhost.example.")
    assert cli.main(["account", "discover", "anna@corp.example"]) == 0
    out = capsys.readouterr().out
    assert "DNS SRV records (not authenticated)" in out
    assert "check: smtp.mailhost.example is outside corp.example" in out


def test_nothing_found_exits_1_and_says_what_was_tried(
    home: Path,
    local_discovery: tuple[AutoconfigServer, DnsServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["account", "discover", "anna@corp.example", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) is None
    assert "srv: nothing" in captured.err
