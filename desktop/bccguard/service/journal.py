"""The pass-through journal: which passing messages had their final dot sent.

A message that passes is relayed end to end and never stored; but if BccGuard
dies after the final dot and before the server's reply, the server may have it
while the mail program, never answered, will send it again. So before each
passing message's final dot a line is appended and synced (about a tenth of a
millisecond here); after the reply an end line is appended without a sync (a
killed process loses nothing written; after a power cut the message is shown as
"may have been sent", the safe side). At start-up every begin without an end is
handed to the hold engine as an uncertain message.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bccguard.adapters.private_files import private_dir

log = logging.getLogger(__name__)

_sync = getattr(os, "fdatasync", os.fsync)  # macOS and Windows lack fdatasync
# The file is started afresh when it has grown past this and nothing is open.
_COMPACT_AT = 1 << 20


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A passing message whose final dot went: what is needed to show it."""

    key: str
    at: float
    mail_from: str
    recipients: tuple[str, ...]
    message_id: str
    subject: str

    def to_json(self) -> dict[str, Any]:
        """One journal line's data."""
        return {
            "op": "begin",
            "key": self.key,
            "at": self.at,
            "from": self.mail_from,
            "rcpts": list(self.recipients),
            "message_id": self.message_id,
            "subject": self.subject,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JournalEntry:
        """The inverse of :meth:`to_json`."""
        return cls(
            key=str(data["key"]),
            at=float(data["at"]),
            mail_from=str(data["from"]),
            recipients=tuple(str(r) for r in data["rcpts"]),
            message_id=str(data.get("message_id", "")),
            subject=str(data.get("subject", "")),
        )


class PassJournal:
    """An append-only file of final dots sent for passing messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._open: set[str] = set()
        self._fd = -1

    def unfinished(self) -> list[JournalEntry]:
        """The begins without an end left by the last run (call before `start`)."""
        begun: dict[str, JournalEntry] = {}
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        for line in lines:
            try:
                data = json.loads(line)
                if data.get("op") == "begin":
                    begun[str(data["key"])] = JournalEntry.from_json(data)
                elif data.get("op") == "end":
                    begun.pop(str(data["key"]), None)
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: its sync never returned
        return list(begun.values())

    def start(self) -> None:
        """Begin a fresh file; what the last run left must be taken over first."""
        private_dir(self.path.parent)
        fd = os.open(
            self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600
        )
        os.fsync(fd)
        self._fd = fd

    def begin(self, entry: JournalEntry) -> None:
        """Record durably that ``entry``'s final dot is about to go.

        Raises:
            OSError: it could not be recorded; the dot must not be sent.
        """
        line = json.dumps(entry.to_json(), ensure_ascii=False).encode() + b"\n"
        with self._lock:
            os.write(self._fd, line)
            _sync(self._fd)
            self._open.add(entry.key)

    def end(self, key: str) -> None:
        """The server answered (or the message was stored): forget the begin."""
        line = json.dumps({"op": "end", "key": key}).encode() + b"\n"
        with self._lock:
            if key not in self._open:
                return
            self._open.discard(key)
            try:
                os.write(self._fd, line)
                if not self._open and os.fstat(self._fd).st_size > _COMPACT_AT:
                    os.ftruncate(self._fd, 0)
            except OSError:
                log.warning("could not write to %s", self.path, exc_info=True)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
