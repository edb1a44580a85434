"""The incident log in SQLite (``incidents.sqlite3``), shared by the guard, CLI and app.

Several processes write to it (the tray app, ``bccguard serve``, the CLI), so: WAL
journal, a busy timeout, one short ``BEGIN IMMEDIATE`` transaction per call, and a
few retries when SQLite still answers SQLITE_BUSY. Each call opens and closes its own
connection, which also makes the log safe to share between threads.
"""

from __future__ import annotations

import builtins
import json
import logging
import random
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from bccguard.adapters.private_files import private_dir, private_file, tighten_file
from bccguard.core.incidents import (
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentLogError,
)

log = logging.getLogger(__name__)

FILE_NAME = "incidents.sqlite3"
_BUSY_TIMEOUT_MS = 5000
_RETRIES = 8
_COMPANIONS = ("-wal", "-shm", "-journal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created_at REAL NOT NULL,
    discovered_at REAL NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    exposed_count INTEGER NOT NULL DEFAULT 0,
    exposed TEXT NOT NULL DEFAULT '[]',
    domains TEXT NOT NULL DEFAULT '[]',
    reply_all_count INTEGER NOT NULL DEFAULT 0,
    possibly_notifiable INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '',
    held_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS incidents_message_id ON incidents (message_id);
CREATE TABLE IF NOT EXISTS incident_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at REAL NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS incident_events_incident ON incident_events (incident_id);
"""

_COLUMNS = (
    "id, kind, created_at, discovered_at, message_id, subject, sender, "
    "exposed_count, exposed, domains, reply_all_count, possibly_notifiable, notes, "
    "held_id"
)

T = TypeVar("T")


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


class SqliteIncidentLog:
    """The :class:`~bccguard.core.incidents.IncidentLog` of one ``BCCGUARD_HOME``."""

    def __init__(self, path: Path) -> None:
        """Open (and if needed create) the log at ``path``.

        Raises:
            IncidentLogError: The file cannot be created or is not a database.
        """
        self.path = path
        try:
            # 0600 before SQLite opens it: SQLite gives its -wal, -shm and -journal
            # files the database's mode. Companions left looser by an older
            # version are tightened too.
            private_dir(path.parent)
            private_file(path)
            for suffix in _COMPANIONS:
                tighten_file(path.with_name(path.name + suffix))
        except OSError as e:
            raise IncidentLogError(f"cannot create {path}: {e.strerror}") from e

        def create(db: sqlite3.Connection) -> None:
            db.execute("PRAGMA journal_mode=WAL")  # persistent: set once per file
            db.executescript(_SCHEMA)

        self._retrying(create, transaction=False)

    @classmethod
    def in_home(cls, home: Path) -> SqliteIncidentLog:
        """The log in a ``BCCGUARD_HOME`` folder."""
        return cls(home / FILE_NAME)

    # -- connections -----------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except sqlite3.Error as e:
            raise IncidentLogError(f"cannot open {self.path}: {e}") from e
        with closing(db):
            db.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            yield db

    def _retrying(
        self, work: Callable[[sqlite3.Connection], T], *, transaction: bool = True
    ) -> T:
        """Run ``work`` in one short transaction, again if the database is busy."""
        for attempt in range(_RETRIES):
            try:
                with self._connect() as db:
                    if not transaction:
                        return work(db)
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(db)
                    except BaseException:
                        db.execute("ROLLBACK")
                        raise
                    db.execute("COMMIT")
                    return result
            except sqlite3.OperationalError as e:
                if not _is_busy(e) or attempt == _RETRIES - 1:
                    raise IncidentLogError(f"incident log {self.path}: {e}") from e
                log.info("incident log busy, trying again (%d)", attempt + 1)
                time.sleep(0.02 * (2**attempt) * (0.5 + random.random()))
            except sqlite3.DatabaseError as e:
                raise IncidentLogError(f"incident log {self.path}: {e}") from e
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the IncidentLog protocol ----------------------------------------------

    def record(self, incident: Incident) -> Incident:
        """Store a new incident and its actions; returns it with its new id."""

        def insert(db: sqlite3.Connection) -> Incident:
            while True:
                new = incident if incident.id else _with_id(incident, _new_id())
                try:
                    db.execute(
                        f"INSERT INTO incidents ({_COLUMNS}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _row(new),
                    )
                except sqlite3.IntegrityError as e:
                    if incident.id:
                        raise IncidentLogError(
                            f"incident {incident.id} exists already"
                        ) from e
                    continue  # a random id collided: draw another
                break
            db.executemany(
                "INSERT INTO incident_events (incident_id, at, action, detail) "
                "VALUES (?, ?, ?, ?)",
                [(new.id, a.at, a.action, a.detail) for a in new.actions],
            )
            return new

        stored = self._retrying(insert)
        log.info(
            "incident %s: %s (%s), %d exposed",
            stored.id,
            stored.kind.value,
            stored.message_id,
            stored.exposed_count,
        )
        return stored

    def add_action(
        self,
        incident_id: str,
        action: str,
        at: float,
        detail: str = "",
        *,
        kind: IncidentKind | None = None,
    ) -> Incident:
        """Append what was done (and optionally change the kind); returns the result."""

        def append(db: sqlite3.Connection) -> Incident:
            _require(db, incident_id)
            db.execute(
                "INSERT INTO incident_events (incident_id, at, action, detail) "
                "VALUES (?, ?, ?, ?)",
                (incident_id, at, action, detail),
            )
            if kind is not None:
                db.execute(
                    "UPDATE incidents SET kind = ? WHERE id = ?",
                    (kind.value, incident_id),
                )
            return _load(db, incident_id)

        return self._retrying(append)

    def mark_notifiable(
        self, incident_id: str, at: float, notifiable: bool = True
    ) -> Incident:
        """Flag (or unflag) an incident as possibly notifiable; logged as an action."""

        def mark(db: sqlite3.Connection) -> Incident:
            _require(db, incident_id)
            db.execute(
                "UPDATE incidents SET possibly_notifiable = ? WHERE id = ?",
                (int(notifiable), incident_id),
            )
            action = "marked-notifiable" if notifiable else "unmarked-notifiable"
            db.execute(
                "INSERT INTO incident_events (incident_id, at, action, detail) "
                "VALUES (?, ?, ?, '')",
                (incident_id, at, action),
            )
            return _load(db, incident_id)

        return self._retrying(mark)

    def count_reply_all(
        self, incident_id: str, at: float, detail: str = ""
    ) -> Incident:
        """One more reply-all was seen to the incident's message."""

        def count(db: sqlite3.Connection) -> Incident:
            _require(db, incident_id)
            db.execute(
                "UPDATE incidents SET reply_all_count = reply_all_count + 1 "
                "WHERE id = ?",
                (incident_id,),
            )
            db.execute(
                "INSERT INTO incident_events (incident_id, at, action, detail) "
                "VALUES (?, ?, 'reply-all-seen', ?)",
                (incident_id, at, detail),
            )
            return _load(db, incident_id)

        return self._retrying(count)

    def get(self, incident_id: str) -> Incident | None:
        """One incident, or None."""

        def read(db: sqlite3.Connection) -> Incident | None:
            found = _select(db, "WHERE id = ?", (incident_id,))
            return found[0] if found else None

        return self._retrying(read, transaction=False)

    def list(self) -> builtins.list[Incident]:
        """Every incident, oldest first."""
        return self._retrying(lambda db: _select(db, "", ()), transaction=False)

    def find_by_message_id(self, message_id: str) -> builtins.list[Incident]:
        """Incidents about the message with this Message-ID, oldest first."""
        return self._retrying(
            lambda db: _select(db, "WHERE message_id = ?", (message_id,)),
            transaction=False,
        )


def _new_id() -> str:
    return secrets.token_hex(5)


def _with_id(incident: Incident, incident_id: str) -> Incident:
    return replace(incident, id=incident_id)


def _row(incident: Incident) -> tuple[object, ...]:
    return (
        incident.id,
        incident.kind.value,
        incident.created_at,
        incident.discovered_at,
        incident.message_id,
        incident.subject,
        incident.sender,
        incident.exposed_count,
        json.dumps(list(incident.exposed), ensure_ascii=False),
        json.dumps([list(d) for d in incident.domains], ensure_ascii=False),
        incident.reply_all_count,
        int(incident.possibly_notifiable),
        incident.notes,
        incident.held_id,
    )


def _require(db: sqlite3.Connection, incident_id: str) -> None:
    if db.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone():
        return
    raise IncidentLogError(f"no incident {incident_id}")


def _load(db: sqlite3.Connection, incident_id: str) -> Incident:
    return _select(db, "WHERE id = ?", (incident_id,))[0]


def _select(
    db: sqlite3.Connection, where: str, args: tuple[object, ...]
) -> builtins.list[Incident]:
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM incidents {where} ORDER BY created_at, id", args
    ).fetchall()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    marks = ", ".join("?" * len(ids))
    actions: dict[str, builtins.list[IncidentEvent]] = {i: [] for i in ids}
    for incident_id, at, action, detail in db.execute(
        "SELECT incident_id, at, action, detail FROM incident_events "
        f"WHERE incident_id IN ({marks}) ORDER BY seq",
        ids,
    ):
        actions[incident_id].append(IncidentEvent(at, action, detail))
    return [_incident(row, actions[row[0]]) for row in rows]


def _incident(row: Any, actions: builtins.list[IncidentEvent]) -> Incident:
    (iid, kind, created, discovered, mid, subject, sender, count, exposed, domains,
     replies, notifiable, notes, held_id) = row  # fmt: skip
    return Incident(
        id=str(iid),
        kind=IncidentKind(str(kind)),
        created_at=float(created),
        discovered_at=float(discovered),
        message_id=str(mid),
        subject=str(subject),
        sender=str(sender),
        exposed=tuple(json.loads(str(exposed))),
        domains=tuple((str(d), int(n)) for d, n in json.loads(str(domains))),
        exposed_count=int(count),
        actions=tuple(actions),
        reply_all_count=int(replies),
        possibly_notifiable=bool(notifiable),
        notes=str(notes),
        held_id=str(held_id),
    )
