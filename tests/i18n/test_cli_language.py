"""The command line speaks the configured language; ``--json`` stays English."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.cli import main
from bccguard.demo import sample_mass_mail
from bccguard.i18n import set_language


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("BCCGUARD_HOME", str(home))
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    yield home
    set_language("en")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.eml"
    path.write_bytes(sample_mass_mail(25))
    return path


def _settings_language(home: Path, code: str) -> None:
    (home / "config.toml").write_text(f'[ui]\nlanguage = "{code}"\n', "utf-8")


def test_check_in_italian_from_the_settings(
    home: Path, sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _settings_language(home, "it")
    assert main(["check", str(sample)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "DA TRATTENERE: 25 destinatari di 5 domini vedrebbero l'indirizzo l'uno "
        "dell'altro (più di 10)",
        "  - 25 visibili, 0 nascosti, 25 esposti (soglia 10)",
    ]


def test_check_follows_the_environment_on_auto(
    home: Path,
    sample: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANGUAGE", "it_IT:en")
    assert main(["check", str(sample)]) == 1
    assert capsys.readouterr().out.startswith("DA TRATTENERE: 25 destinatari")
    monkeypatch.setenv("LANGUAGE", "en")
    assert main(["check", str(sample)]) == 1
    assert capsys.readouterr().out.startswith("HOLD: 25 recipients from 5 domains")


def test_json_stays_english(
    home: Path, sample: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _settings_language(home, "it")
    assert main(["check", "--json", str(sample)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["reasons"] == [
        "25 recipients from 5 domains would see each other's address (more than 10)",
        "25 visible, 0 hidden, 25 exposed (threshold 10)",
    ]


def test_errors_in_italian(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _settings_language(home, "it")
    assert main(["check", str(tmp_path / "missing.eml")]) == 2
    assert capsys.readouterr().err.startswith("impossibile leggere ")
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    assert main(["check", str(empty)]) == 2
    assert capsys.readouterr().err.strip() == (f"{empty} non è un messaggio: è vuoto")


def test_held_list_in_italian(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _settings_language(home, "it")
    assert main(["held", "list"]) == 0
    assert capsys.readouterr().out.strip() == "Nessun messaggio trattenuto."


def test_incidents_list_in_italian(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _settings_language(home, "it")
    assert main(["incidents", "list"]) == 0
    assert capsys.readouterr().out.strip() == "nessun incidente registrato"


def test_convert_errors_in_italian(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _settings_language(home, "it")
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    assert main(["convert", str(empty)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "non convertito: non è un messaggio: è vuoto"


def test_account_discover_in_italian(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundled provider (no network): the labels in Italian, still aligned."""
    monkeypatch.setattr(
        "socket.getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(OSError("offline"))
    )
    _settings_language(home, "it")
    assert main(["account", "discover", "someone@gmail.com"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Trovati con la tabella dei provider di BccGuard: ")
    labels = [line[:20] for line in lines[1:4]]
    assert labels[0].strip() == "in uscita (SMTP)"
    assert lines[1].index("smtp.gmail.com") == lines[2].index("imap.gmail.com")
