"""``bccguard account discover`` prints what it found and where from, saves nothing,
and needs no network for the bundled providers."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from bccguard import cli


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
