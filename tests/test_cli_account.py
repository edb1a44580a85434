"""``bccguard account add`` refuses an account that cannot work: one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bccguard import cli
from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.settings import Account, Settings

EXISTING = Account("old", "old@corp.example", "smtp.corp.example")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("BCCGUARD_HOME", str(folder))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    save_settings(folder / "config.toml", Settings(accounts=(EXISTING,)))
    return folder


def add(*options: str) -> int:
    return cli.main(["account", "add", "new", "--email", "me@example.com", *options])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ("--smtp-host", "smtp.example.com", "--tls", "none"),
            "smtp_tls: 'none' is only allowed for a server on this machine, "
            "not smtp.example.com",
        ),
        (
            ("--smtp-host", "smtp.example.com", "--smtp-port", "0"),
            "smtp_port: must be 1–65535",
        ),
        (
            ("--smtp-host", "smtp.example.com:587"),
            "smtp_host: must be a server name or address alone (no scheme, port or "
            "spaces), not smtp.example.com:587",
        ),
        (
            (
                "--smtp-host",
                "smtp.example.com",
                "--imap-host",
                "imap.example.com",
                "--imap-tls",
                "none",
            ),
            "imap_tls: 'none' is only allowed for a server on this machine, "
            "not imap.example.com",
        ),
        (
            ("--smtp-host", "smtp.example.com", "--imap-port", "70000"),
            "imap_port: must be 1–65535",
        ),
        (
            ("--smtp-host", "smtp.example.com", "--max-recipients", "-5"),
            "max_recipients: must be 0–100000",
        ),
    ],
)
def test_an_account_that_cannot_work_is_refused_and_nothing_saved(
    home: Path,
    capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...],
    message: str,
) -> None:
    before = (home / "config.toml").read_bytes()
    assert add(*options) == 2
    captured = capsys.readouterr()
    assert captured.err == message + "\n"
    assert captured.out == ""
    assert (home / "config.toml").read_bytes() == before
    assert sorted(p.name for p in home.iterdir()) == ["config.toml"]


def test_plain_smtp_to_this_machine_is_saved(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add("--smtp-host", "127.0.0.1", "--smtp-port", "1025", "--tls", "none") == 0
    assert "Account new saved" in capsys.readouterr().out
    accounts = load_settings(home / "config.toml").accounts
    assert [(a.name, a.smtp_host, a.smtp_tls) for a in accounts] == [
        ("old", "smtp.corp.example", "starttls"),
        ("new", "127.0.0.1", "none"),
    ]


@pytest.mark.skipif(os.name == "nt", reason="one home, POSIX modes")
def test_the_real_command_says_one_line_and_exits_2(home: Path) -> None:
    before = (home / "config.toml").read_bytes()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bccguard",
            "account",
            "add",
            "work",
            "--email",
            "me@example.com",
            "--smtp-host",
            "smtp.example.com",
            "--tls",
            "none",
            "--password-stdin",
        ],
        env={**os.environ},
        input="secret-password\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "smtp_tls: 'none' is only allowed for a server on this machine, "
        "not smtp.example.com"
    ]
    assert result.stdout == ""
    assert (home / "config.toml").read_bytes() == before
    assert not (home / "secrets.json").exists()
