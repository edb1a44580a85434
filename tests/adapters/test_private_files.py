"""Every file BccGuard writes is 0600 and every folder 0700, whatever the umask."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import smtplib
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bccguard import cli
from bccguard.adapters import autostart, paths, private_files
from bccguard.adapters.control_channel import ControlServer
from bccguard.adapters.demo_sink import DemoSink
from bccguard.adapters.imap_state_store import ImapStateStore
from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.adapters.private_files import (
    PrivateRotatingFileHandler,
    open_private_append,
    private_dir,
    private_file,
    write_private,
)
from bccguard.adapters.secrets import FileSecretStore
from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.incidents import Incident, IncidentKind
from bccguard.core.mailbox_sync import FolderState
from bccguard.core.settings import Account, Settings
from bccguard.native_host.incidents import INCIDENTS_FILE, record_incident

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual desktop umask: without care, files are 0644 and folders 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the 'warned once' memory empty."""
    monkeypatch.setattr(private_files, "_warned", set())


# -- the helpers -----------------------------------------------------------------


def test_private_dir_creates_the_folder_and_missing_parents_0700(
    tmp_path: Path,
) -> None:
    target = tmp_path / "a" / "b" / "c"
    assert private_dir(target) == target
    for folder in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert mode(folder) == 0o700, folder
    assert mode(tmp_path) == 0o700  # an existing parent is not changed (pytest's)


def test_private_dir_tightens_an_open_folder_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger=private_files.__name__):
        private_dir(folder)
        folder.chmod(0o750)  # loosened again behind our back: tightened, not re-said
        private_dir(folder)
    assert mode(folder) == 0o700
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert str(folder) in warnings[0]
    assert "0755" in warnings[0]


def test_private_dir_leaves_a_private_folder_alone_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o700)
    with caplog.at_level(logging.WARNING):
        private_dir(folder)
    assert caplog.records == []
    assert mode(folder) == 0o700


def test_private_dir_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        private_dir(tmp_path / "file")


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077, 0o277])
def test_write_private_is_0600_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    os.umask(umask)
    target = tmp_path / "out.txt"
    write_private(target, "caffè\n", sync=True)
    assert target.read_bytes() == "caffè\n".encode()
    assert mode(target) == 0o600


def test_write_private_replaces_a_loose_file_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    target = tmp_path / "config.toml"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, b"new")
    assert target.read_bytes() == b"new"
    assert mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_write_private_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "kept"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_private(target, 42)  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]


def test_private_file_creates_empty_0600_and_tightens_an_existing_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    new = private_file(tmp_path / "new.db")
    assert new.read_bytes() == b""
    assert mode(new) == 0o600
    old = tmp_path / "old.db"
    old.write_bytes(b"data")
    old.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger=private_files.__name__):
        private_file(old)
    assert old.read_bytes() == b"data"
    assert mode(old) == 0o600
    assert "0644" in caplog.text
    assert str(old) in caplog.text


def test_open_private_append_creates_0600_and_tightens(tmp_path: Path) -> None:
    target = tmp_path / "lines.jsonl"
    with open_private_append(target) as handle:
        handle.write("one\n")
    target.chmod(0o664)
    with open_private_append(target) as handle:
        handle.write("two\n")
    assert target.read_text() == "one\ntwo\n"
    assert mode(target) == 0o600


def test_rotating_log_files_are_0600(tmp_path: Path) -> None:
    handler = PrivateRotatingFileHandler(
        tmp_path / "bccguard.log", maxBytes=200, backupCount=2
    )
    logger = logging.getLogger("tests.private_files.rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(20):
            logger.warning("line %d from alice@example.org about a subject", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["bccguard.log", "bccguard.log.1", "bccguard.log.2"]
    for name in names:
        assert mode(tmp_path / name) == 0o600, name


# -- each writer -------------------------------------------------------------------


def test_a_new_home_is_0700(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.HOME_VARIABLE, str(tmp_path / "x" / "home"))
    home = paths.home()
    assert mode(home) == 0o700
    assert mode(tmp_path / "x") == 0o700


def test_an_open_home_is_tightened_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)
    monkeypatch.setenv(paths.HOME_VARIABLE, str(home))
    with caplog.at_level(logging.WARNING):
        assert paths.home() == home
    assert mode(home) == 0o700
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert str(home) in record.getMessage()
    assert "0755" in record.getMessage()


def test_settings_file_is_0600(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    config.chmod(0o644)
    account = Account(name="w", email="a@corp.example", smtp_host="smtp.corp.example")
    save_settings(config, Settings(accounts=(account,)))
    assert mode(config) == 0o600
    assert load_settings(config).accounts == (account,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_secret_file_fallback_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "home" / "secrets.json")
    store.set("account:w", "hunter2")
    assert mode(tmp_path / "home") == 0o700
    assert mode(tmp_path / "home" / "secrets.json") == 0o600
    assert store.get("account:w") == "hunter2"


def test_incident_log_and_its_wal_files_are_0600(tmp_path: Path) -> None:
    log = SqliteIncidentLog(tmp_path / "home" / "incidents.sqlite3")
    assert mode(tmp_path / "home") == 0o700
    # Keep a connection open so that SQLite's -wal and -shm files stay.
    with closing(sqlite3.connect(log.path)) as reader:
        reader.execute("SELECT count(*) FROM incidents").fetchall()
        log.record(
            Incident.new(IncidentKind.SENT_AS_IS, 1.0, exposed=["a@x.example"] * 2)
        )
        companions = [
            p for p in (tmp_path / "home").iterdir() if p.name != "incidents.sqlite3"
        ]
        assert {p.name for p in companions} >= {
            "incidents.sqlite3-wal",
            "incidents.sqlite3-shm",
        }
        for path in [log.path, *companions]:
            assert mode(path) == 0o600, path.name


def test_an_existing_loose_incident_log_is_tightened(tmp_path: Path) -> None:
    first = SqliteIncidentLog(tmp_path / "incidents.sqlite3")
    first.path.chmod(0o644)
    SqliteIncidentLog(first.path)
    assert mode(first.path) == 0o600


def test_imap_state_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    store = ImapStateStore(tmp_path / "imap-state")
    store.save("work", "Sent", FolderState())
    assert mode(tmp_path / "imap-state") == 0o700
    (saved,) = (tmp_path / "imap-state").iterdir()
    assert saved.name == "work.json"
    assert mode(saved) == 0o600


def test_demo_outbox_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    sink = DemoSink(tmp_path / "demo-outbox")
    sink.start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=30) as client:
            client.sendmail("me@x.example", ["you@y.example"], b"Subject: hi\r\n\r\nhi")
    finally:
        sink.stop()
    assert mode(sink.folder) == 0o700
    names = sorted(p.name for p in sink.folder.iterdir())
    assert names == ["0001.eml", "0001.json"]
    for name in names:
        assert mode(sink.folder / name) == 0o600, name
    assert sink.messages() == [sink.folder / "0001.eml"]


def test_control_file_is_0600(tmp_path: Path) -> None:
    info = tmp_path / "control.json"

    async def handler(request: dict[str, object]) -> dict[str, object]:
        return {"ok": True}

    async def run() -> None:
        server = ControlServer(handler, info)
        await server.start()
        try:
            assert mode(info) == 0o600
            assert set(json.loads(info.read_text())) == {"port", "token", "pid"}
        finally:
            await server.stop()

    asyncio.run(run())


def test_plugin_incident_lines_are_0600(tmp_path: Path) -> None:
    record_incident(tmp_path, {"kind": "sent-as-is", "exposed_count": 3})
    assert mode(tmp_path / INCIDENTS_FILE) == 0o600


def test_incidents_export_is_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(paths.HOME_VARIABLE, str(tmp_path / "home"))
    out = tmp_path / "record.csv"
    assert cli.main(["incidents", "export", "--format", "csv", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("id,")
    assert mode(out) == 0o600


def test_autostart_entry_keeps_the_ordinary_mode(tmp_path: Path) -> None:
    """Documented exception: a login item is not secret and the desktop reads it."""
    path = autostart.enable(["bccguard"], system="linux", home=tmp_path)
    assert mode(path) == 0o644
