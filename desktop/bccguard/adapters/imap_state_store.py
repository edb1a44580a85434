"""The IMAP watchers' memory on disk: one JSON file per account, replaced atomically."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from bccguard.core.mailbox_sync import FolderState


class ImapStateStore:
    """``imap-state/<account>.json``: a :class:`FolderState` per folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
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
            path = self._path(account)
            tmp = path.with_suffix(".tmp")
            with tmp.open("w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
