"""What an IMAP folder watcher has already seen, and what to fetch next.

Pure bookkeeping, no network: per folder the UIDVALIDITY, the highest UID read, and
the Message-IDs already reported, so that a restart neither re-alerts nor misses
what arrived while BccGuard was down, and a UIDVALIDITY change (RFC 3501 §2.3.1.1:
every UID may now mean another message) rescans without alerting twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

# Remembered Message-IDs per folder: enough to cover a rescan of a busy folder.
_REMEMBER = 20_000


@dataclass(frozen=True, slots=True)
class FolderState:
    """The watcher's memory of one folder."""

    uidvalidity: int = 0
    last_uid: int = 0
    reported: tuple[str, ...] = field(default=())

    def needs_rescan(self, uidvalidity: int) -> bool:
        """True when the server's UIDVALIDITY no longer matches what we stored."""
        return self.uidvalidity != uidvalidity

    def start(self, uidvalidity: int) -> FolderState:
        """The state to use for a session that sees ``uidvalidity``."""
        if self.needs_rescan(uidvalidity):
            return replace(self, uidvalidity=uidvalidity, last_uid=0)
        return self

    def first_scan(self) -> bool:
        """True before any message of this folder was read."""
        return self.last_uid == 0 and not self.reported

    def advanced(self, uid: int) -> FolderState:
        """After reading ``uid``."""
        return replace(self, last_uid=max(self.last_uid, uid))

    def was_reported(self, message_id: str) -> bool:
        """True when this Message-ID was already reported (in any earlier scan)."""
        return bool(message_id) and message_id in self.reported

    def with_reported(self, message_ids: Iterable[str]) -> FolderState:
        """Remember more reported Message-IDs (oldest forgotten past the limit)."""
        known = list(self.reported)
        seen = set(known)
        for message_id in message_ids:
            if message_id and message_id not in seen:
                known.append(message_id)
                seen.add(message_id)
        return replace(self, reported=tuple(known[-_REMEMBER:]))

    def to_json(self) -> dict[str, Any]:
        """Plain data for the state file."""
        return {
            "uidvalidity": self.uidvalidity,
            "last_uid": self.last_uid,
            "reported": list(self.reported),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FolderState:
        """The inverse of :meth:`to_json`; bad data gives a fresh state."""
        try:
            return cls(
                uidvalidity=int(data["uidvalidity"]),
                last_uid=int(data["last_uid"]),
                reported=tuple(str(m) for m in data.get("reported", ())),
            )
        except (KeyError, TypeError, ValueError):
            return cls()


def batches(uids: list[int], size: int) -> list[list[int]]:
    """``uids`` in order, cut into fetch batches of at most ``size``."""
    ordered = sorted(uids)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]
