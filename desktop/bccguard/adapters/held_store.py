"""The durable store of held messages: on disk and fsync'd before anyone is answered.

Layout: ``held/<id>/message.eml`` (the bytes as received) and ``held/<id>/meta.json``
(a :class:`HeldMessage`). An entry appears by renaming a finished temporary folder,
so a crash never leaves half an entry; meta updates replace the file atomically.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from pathlib import Path

from bccguard.adapters.private_files import fsync_folder, private_dir
from bccguard.core.held import HeldMessage

log = logging.getLogger(__name__)

_MESSAGE = "message.eml"
_META = "meta.json"
_TMP_PREFIX = ".tmp-"


class HeldStoreError(Exception):
    """The held store cannot be read or written."""


def _write_synced(path: Path, data: bytes) -> None:
    """A new file only this user can read, on disk before this returns."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if os.name != "nt":
            os.fchmod(fd, 0o600)  # exact, whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


class HeldStore:
    """Held messages in a folder; safe to read from another process."""

    def __init__(self, root: Path) -> None:
        self.root = private_dir(root)
        self._sweep_unfinished()

    def _sweep_unfinished(self) -> None:
        """Remove entries a crash left unfinished: their client was never answered."""
        for path in self.root.glob(f"{_TMP_PREFIX}*"):
            shutil.rmtree(path, ignore_errors=True)

    @staticmethod
    def new_id() -> str:
        """A short id that is easy to type: 8 hex digits."""
        return secrets.token_hex(4)

    def add(self, held: HeldMessage, data: bytes) -> None:
        """Store a held message durably; returns only once it is on disk."""
        tmp = self.root / f"{_TMP_PREFIX}{held.id}"
        try:
            private_dir(tmp)
            _write_synced(tmp / _MESSAGE, data)
            _write_synced(tmp / _META, self._meta_bytes(held))
            fsync_folder(tmp)
            os.replace(tmp, self.root / held.id)
            fsync_folder(self.root)
        except OSError as error:
            shutil.rmtree(tmp, ignore_errors=True)
            raise HeldStoreError(f"cannot store held message: {error}") from error

    def update(self, held: HeldMessage) -> None:
        """Replace the record of an existing entry atomically."""
        folder = self.root / held.id
        tmp = folder / f"{_META}.tmp"
        try:
            _write_synced(tmp, self._meta_bytes(held))
            os.replace(tmp, folder / _META)
            fsync_folder(folder)
        except OSError as error:
            raise HeldStoreError(
                f"cannot update held message {held.id}: {error}"
            ) from error

    @staticmethod
    def _meta_bytes(held: HeldMessage) -> bytes:
        return json.dumps(held.to_json(), indent=1, ensure_ascii=False).encode("utf-8")

    def replace_data(self, held_id: str, data: bytes) -> None:
        """Give an entry new message bytes atomically (a retry of one known only
        from the journal brings them)."""
        folder = self.root / held_id
        tmp = folder / f"{_MESSAGE}.tmp"
        try:
            _write_synced(tmp, data)
            os.replace(tmp, folder / _MESSAGE)
            fsync_folder(folder)
        except OSError as error:
            raise HeldStoreError(
                f"cannot store the message of {held_id}: {error}"
            ) from error

    def get(self, held_id: str) -> HeldMessage | None:
        """The record with ``held_id``, or None."""
        if not held_id or "/" in held_id or "\\" in held_id or held_id.startswith("."):
            return None
        path = self.root / held_id / _META
        try:
            return HeldMessage.from_json(json.loads(path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("held message %s has an unreadable record: %s", held_id, error)
            return None

    def data(self, held_id: str) -> bytes:
        """The message bytes as received."""
        try:
            return (self.root / held_id / _MESSAGE).read_bytes()
        except OSError as error:
            raise HeldStoreError(
                f"cannot read held message {held_id}: {error}"
            ) from error

    def all(self) -> list[HeldMessage]:
        """Every record, oldest first."""
        found = []
        for path in self.root.iterdir():
            if path.name.startswith(".") or not path.is_dir():
                continue
            held = self.get(path.name)
            if held is not None:
                found.append(held)
        return sorted(found, key=lambda h: h.received_at)

    def find_key(self, key: str) -> HeldMessage | None:
        """The newest record of the same submission (a client's retry), if any."""
        matches = [h for h in self.all() if h.key == key]
        return matches[-1] if matches else None

    def remove(self, held_id: str) -> None:
        """Delete an entry for good."""
        shutil.rmtree(self.root / held_id, ignore_errors=True)
