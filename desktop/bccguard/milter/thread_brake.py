"""The organisation-wide reply-all brake: a storm on an exposed thread is stopped.

A message that goes out showing many people to each other (more visible
recipients than the threshold, trusted or not) is remembered by its Message-ID.
Replies to it (In-Reply-To/References, RFC 5322 §3.6.4) that go to many again
are replies to all: the first ``brake_replies`` within ``brake_minutes`` pass,
the ones after are held with the reason, until the window has moved on.
The record is a small SQLite file shared by the milter's threads and the
administrator's commands (a release as is exposes its thread too).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from bccguard.core.message import ParsedMessage

_IDS = re.compile(r"<[^<>\s]+>")
_KEEP_THREADS = 30 * 86_400.0  # seconds a thread is remembered
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS threads (message_id TEXT PRIMARY KEY, "
    "visible INTEGER NOT NULL, at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS replies (thread TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS replies_thread ON replies (thread, at)",
)


def referenced_ids(message: ParsedMessage) -> list[str]:
    """The Message-IDs a message replies to (In-Reply-To first, then References)."""
    text = " ".join(
        message.header.first_text(name) for name in ("in-reply-to", "references")
    )
    return list(dict.fromkeys(m.lower() for m in _IDS.findall(text)))


class ThreadBrake:
    """Exposed threads and the replies to all on them, in ``path``."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        with self._connect() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode, closed after use."""
        db = sqlite3.connect(self._path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            yield db
        finally:
            db.close()

    def remember(self, message_id: str, visible: int) -> None:
        """A message that exposed ``visible`` people went out."""
        if not message_id:
            return
        now = self._clock()
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO threads VALUES (?, ?, ?)",
                (message_id.strip().lower(), visible, now),
            )
            db.execute("DELETE FROM threads WHERE at < ?", (now - _KEEP_THREADS,))

    def reply(self, ids: Iterable[str], replies: int, minutes: float) -> str | None:
        """Count one reply to all on the thread of ``ids``; why it is held when
        ``replies`` replies to all came within ``minutes`` already (else None)."""
        wanted = list(ids)
        if replies <= 0 or not wanted:
            return None
        now = self._clock()
        marks = ",".join("?" * len(wanted))
        with self._lock, self._connect() as db:
            row = db.execute(
                f"SELECT message_id, visible FROM threads WHERE message_id IN ({marks})"
                " ORDER BY at LIMIT 1",
                wanted,
            ).fetchone()
            if row is None:
                return None
            thread, visible = str(row[0]), int(row[1])
            since = now - minutes * 60
            db.execute("DELETE FROM replies WHERE at < ?", (since,))
            (count,) = db.execute(
                "SELECT COUNT(*) FROM replies WHERE thread = ? AND at >= ?",
                (thread, since),
            ).fetchone()
            if count >= replies:
                return (
                    f"reply-all brake: {count} replies to all {visible} people of "
                    f"this thread came within {minutes:g} minutes already"
                )
            db.execute("INSERT INTO replies VALUES (?, ?)", (thread, now))
        return None
