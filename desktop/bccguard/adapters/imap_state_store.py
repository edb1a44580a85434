"""The IMAP watchers' memory on disk: one JSON file per account, replaced atomically
(0600 files in a 0700 folder: it names the user's folders and messages)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from bccguard.adapters.private_files import private_dir, write_private
from bccguard.core.mailbox_sync import FolderState


class ImapStateStore:
    """``imap-state/<account>.json``: a :class:`FolderState` per folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        private_dir(folder)
        self._lock = threading.Lock()

    def _path(self, account: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in account)
        return self.folder / f"{safe}.json"

    def _read(self, account: str) -> dict[str, Any]:
        try:
            data = json.loads(self._path(account).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self, account: str, folder: str) -> FolderState:
        """The stored state of ``folder`` (a fresh one if none)."""
        with self._lock:
            entry = self._read(account).get(folder)
        return (
            FolderState.from_json(entry) if isinstance(entry, dict) else FolderState()
        )

    def save(self, account: str, folder: str, state: FolderState) -> None:
        """Store the state of ``folder`` durably."""
        with self._lock:
            data = self._read(account)
            data[folder] = state.to_json()
            write_private(self._path(account), json.dumps(data), sync=True)
