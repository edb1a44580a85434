"""The sending log behind the daily budget: recipients sent to, per account.

An append-only file of JSON lines ``{"account": ..., "at": ..., "count": ...}``,
one per message that left. It is written before the relay's caller hears of the
outcome and without a sync: a killed BccGuard loses nothing written (the data is
in the system's cache), a power cut may lose the last lines, which the
reserve left for the user's own mail covers. At start-up only the last 24 hours
are read, and the file is written afresh with them.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from bccguard.adapters.private_files import private_dir, write_private
from bccguard.core.send_budget import DAY, Spent

log = logging.getLogger(__name__)


class SendBudgetLog:
    """Recipients sent to over the last day, per account, kept on disk."""

    def __init__(self, path: Path, *, now: float) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._spent: dict[str, list[Spent]] = {}
        private_dir(path.parent)
        self._load(now)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def _load(self, now: float) -> None:
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            lines = []
        kept: list[bytes] = []
        for line in lines:
            try:
                data = json.loads(line)
                spent = Spent(float(data["at"]), int(data["count"]))
                account = str(data["account"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash
            if spent.at + DAY > now:
                self._spent.setdefault(account, []).append(spent)
                kept.append(line)
        if len(kept) != len(lines):
            write_private(self.path, b"".join(k + b"\n" for k in kept))

    def spent(self, account: str, now: float) -> tuple[Spent, ...]:
        """What ``account`` sent in the 24 hours before ``now``."""
        with self._lock:
            entries = [s for s in self._spent.get(account, []) if s.at + DAY > now]
            self._spent[account] = entries
            return tuple(entries)

    def note(self, account: str, count: int, at: float) -> None:
        """``account`` sent to ``count`` recipients at ``at`` (never raises)."""
        if count <= 0:
            return
        line = json.dumps({"account": account, "at": at, "count": count}) + "\n"
        with self._lock:
            self._spent.setdefault(account, []).append(Spent(at, count))
            try:
                os.write(self._fd, line.encode("utf-8"))
            except OSError:
                log.warning("could not write to %s", self.path, exc_info=True)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
