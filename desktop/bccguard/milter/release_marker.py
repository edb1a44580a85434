"""The marker a converted release carries back through Postfix, honoured once.

Postfix runs milters only before a message is queued, so a release that converts
re-injects the rewritten message (``sendmail``); it meets the milter again, which
must let it through unchecked exactly while that release is under way. The
marker is ``X-BccGuard-Release: <held id> <HMAC>``, keyed with a secret only
BccGuard's home holds; the milter honours it only while the record says the
release is being sent, and removes it from every message, valid or not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from bccguard.adapters.private_files import write_private

MARKER_FIELD = "X-BccGuard-Release"
_KEY_FILE = "milter-release.key"


class ReleaseMarker:
    """Makes and checks release markers with the key in BccGuard's home."""

    def __init__(self, home: Path) -> None:
        path = home / _KEY_FILE
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            key = b""
        if len(key) < 32:
            key = secrets.token_hex(32).encode()
            write_private(path, key, sync=True)
        self._key = key

    def _mac(self, held_id: str) -> str:
        return hmac.new(self._key, held_id.encode(), hashlib.sha256).hexdigest()

    def value(self, held_id: str) -> str:
        """The marker's value for the release of ``held_id``."""
        return f"{held_id} {self._mac(held_id)}"

    def held_id(self, value: str) -> str | None:
        """The held id a genuine marker names, or None."""
        held_id, _, mac = value.strip().partition(" ")
        if not held_id or not hmac.compare_digest(mac.strip(), self._mac(held_id)):
            return None
        return held_id
