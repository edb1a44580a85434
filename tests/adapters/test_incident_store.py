"""The SQLite incident log: round trips, actions, and many writers losing nothing."""

from __future__ import annotations

import multiprocessing
import sqlite3
import stat
import threading
from contextlib import closing
from pathlib import Path

import pytest

from bccguard.adapters.incident_store import FILE_NAME, SqliteIncidentLog
from bccguard.core.incidents import (
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentLog,
    IncidentLogError,
)

T0 = 1_700_000_000.0
WRITERS = 4  # processes
THREADS = 3  # per process
EACH = 15  # incidents per thread


def sample(n: int = 0, **extra: str) -> Incident:
    return Incident.new(
        IncidentKind.HELD,
        T0 + n,
        exposed=[f"p{i}@d{i % 2}.example" for i in range(12)],
        message_id=extra.get("message_id", f"<m{n}@x.example>"),
        subject=extra.get("subject", f"Newsletter {n}"),
        sender="me@x.example",
        held_id=f"h{n}",
    )


@pytest.fixture
def log(tmp_path: Path) -> SqliteIncidentLog:
    return SqliteIncidentLog.in_home(tmp_path)


def test_it_is_an_incident_log(log: SqliteIncidentLog) -> None:
    typed: IncidentLog = log
    assert typed.list() == []


def test_the_file_is_private_and_in_wal_mode(
    log: SqliteIncidentLog, tmp_path: Path
) -> None:
    assert log.path == tmp_path / FILE_NAME
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    with closing(sqlite3.connect(log.path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_record_and_get_round_trip(log: SqliteIncidentLog) -> None:
    new = sample(1, subject="Auguri — «Natale»")
    stored = log.record(new)
    assert stored.id
    assert stored == new.__class__(**{**_fields(new), "id": stored.id})
    assert log.get(stored.id) == stored
    assert log.get("nope") is None


def _fields(incident: Incident) -> dict[str, object]:
    return {name: getattr(incident, name) for name in incident.__dataclass_fields__}


def test_add_action_appends_in_order_and_changes_kind(log: SqliteIncidentLog) -> None:
    stored = log.record(sample())
    log.add_action(
        stored.id, "converted", T0 + 10, "250 ok", kind=IncidentKind.CONVERTED
    )
    after = log.add_action(stored.id, "apology-sent", T0 + 20)
    assert after.kind is IncidentKind.CONVERTED
    assert after.actions == (
        IncidentEvent(T0, "held"),
        IncidentEvent(T0 + 10, "converted", "250 ok"),
        IncidentEvent(T0 + 20, "apology-sent"),
    )
    assert log.get(stored.id) == after


def test_mark_notifiable_sets_the_flag_and_logs_it(log: SqliteIncidentLog) -> None:
    stored = log.record(sample())
    marked = log.mark_notifiable(stored.id, T0 + 5)
    assert marked.possibly_notifiable
    assert marked.actions[-1] == IncidentEvent(T0 + 5, "marked-notifiable")
    cleared = log.mark_notifiable(stored.id, T0 + 6, notifiable=False)
    assert not cleared.possibly_notifiable


def test_count_reply_all(log: SqliteIncidentLog) -> None:
    stored = log.record(sample())
    log.count_reply_all(stored.id, T0 + 1)
    assert log.count_reply_all(stored.id, T0 + 2, "from x@y").reply_all_count == 2


def test_unknown_ids_are_errors(log: SqliteIncidentLog) -> None:
    with pytest.raises(IncidentLogError, match="no incident zz"):
        log.add_action("zz", "x", T0)
    with pytest.raises(IncidentLogError, match="no incident zz"):
        log.mark_notifiable("zz", T0)


def test_a_given_id_is_kept_and_must_be_new(log: SqliteIncidentLog) -> None:
    first = log.record(Incident(**{**_fields(sample()), "id": "fixed"}))
    assert first.id == "fixed"
    with pytest.raises(IncidentLogError, match="exists already"):
        log.record(first)
    assert len(log.list()) == 1  # the failed insert left nothing behind


def test_find_by_message_id(log: SqliteIncidentLog) -> None:
    a = log.record(sample(1, message_id="<same@x>"))
    log.record(sample(2))
    b = log.record(sample(3, message_id="<same@x>"))
    assert [i.id for i in log.find_by_message_id("<same@x>")] == [a.id, b.id]
    assert log.find_by_message_id("<other@x>") == []


def test_list_is_oldest_first(log: SqliteIncidentLog) -> None:
    late = log.record(sample(50))
    early = log.record(sample(1))
    assert [i.id for i in log.list()] == [early.id, late.id]


def test_a_file_that_is_not_a_database_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / FILE_NAME
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(IncidentLogError):
        SqliteIncidentLog(bad)


def _write_many(path: str, writer: int) -> None:
    """One process: several threads, each recording incidents and actions."""
    log = SqliteIncidentLog(Path(path))

    def work(thread: int) -> None:
        for n in range(EACH):
            tag = f"w{writer}-t{thread}-n{n}"
            stored = log.record(sample(n, subject=tag))
            log.add_action(stored.id, "note", T0 + n, tag)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.slow
def test_concurrent_processes_and_threads_lose_no_record(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    SqliteIncidentLog(path)
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_write_many, args=(str(path), w)) for w in range(WRITERS)
    ]
    for process in processes:
        process.start()
    _write_many(str(path), WRITERS)  # this process writes too, meanwhile
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    incidents = SqliteIncidentLog(path).list()
    expected = {
        f"w{w}-t{t}-n{n}"
        for w in range(WRITERS + 1)
        for t in range(THREADS)
        for n in range(EACH)
    }
    assert sorted(i.subject for i in incidents) == sorted(expected)
    assert len({i.id for i in incidents}) == len(expected)
    for incident in incidents:
        assert [a.action for a in incident.actions] == ["held", "note"]
        assert incident.actions[1].detail == incident.subject
