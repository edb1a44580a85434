"""The administrator's side of the hold queue: list, release and discard.

Each command runs the hold engine over the milter's records for as long as it
takes (one command at a time, under a lock): the engine recovers what a crash
left (a release whose re-injection may have gone is "may have been sent", never
sent again by itself), carries out the answer through Postfix's queue tools,
and writes every step before acting on it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.core.settings import SettingsError
from bccguard.events import LoggingSink
from bccguard.milter.config import MilterSettings
from bccguard.milter.postfix_outlet import PostfixHeldStore, PostfixOutlet, queue_id
from bccguard.milter.postfix_queue import PostfixQueue, QueueError
from bccguard.milter.release_marker import ReleaseMarker
from bccguard.milter.settings_files import THREADS_FILE, load_all, milter_held_dir
from bccguard.milter.thread_brake import ThreadBrake
from bccguard.service.engine import HoldEngine
from bccguard.service.errors import GuardError
from bccguard.service.incident_record import IncidentRecorder

log = logging.getLogger(__name__)

_WAIT = 300.0


class HeldAdminError(Exception):
    """A command that cannot be carried out; the text says why."""


class HeldAdmin:
    """The hold engine over the milter's records, for one command."""

    def __init__(self, home: Path) -> None:
        try:
            self._settings, self._milter = load_all(home)
        except SettingsError as error:
            raise HeldAdminError(str(error)) from error
        self._threads = ThreadBrake(home / THREADS_FILE)
        self._lock = FileLock(str(home / "milter-held.lock"), timeout=60)
        marker = ReleaseMarker(home)
        self._store = PostfixHeldStore(milter_held_dir(home), self.queue, marker)
        self._outlet = PostfixOutlet(lambda: self._milter, self._store, marker)
        self._engine = HoldEngine(
            self._store,
            self._outlet,
            LoggingSink(),
            lambda: self._settings,
            incidents=IncidentRecorder(SqliteIncidentLog.in_home(home), time.time),
        )

    def queue(self) -> PostfixQueue:
        """Postfix's queue tools."""
        return PostfixQueue(self._milter)

    def __enter__(self) -> HeldAdmin:
        try:
            self._lock.acquire()
        except Timeout as error:
            raise HeldAdminError("another milter held command is running") from error
        self._engine.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._engine.stop()
        self._outlet.close()
        self._lock.release()

    @property
    def settings(self) -> MilterSettings:
        """The milter's settings."""
        return self._milter

    def listing(self) -> list[dict[str, Any]]:
        """Every record not yet settled, and any settled one still in the queue."""
        try:
            held = self.queue().held()
        except QueueError as error:
            raise HeldAdminError(str(error)) from error
        rows = []
        for record in self._engine.all():
            in_queue = queue_id(record) in held
            if record.state.final and not in_queue:
                continue
            row = record.to_json()
            row["queue_id"] = queue_id(record)
            row["in_hold_queue"] = in_queue
            rows.append(row)
        return rows

    def _record(self, held_id: str) -> HeldMessage:
        record = self._engine.get(held_id)
        if record is None:
            raise HeldAdminError(
                f"no held message {held_id} (bccguard milter held list)"
            )
        return record

    def release(self, held_id: str, *, bcc: bool) -> str:
        """Send ``held_id`` converted to Bcc (``bcc``) or as it is; the outcome."""
        record = self._record(held_id)
        resolution = Resolution.BCC if bcc else Resolution.AS_IS
        try:
            done = self._engine.decide(record.id, resolution).result(_WAIT)
        except GuardError as error:
            raise HeldAdminError(str(error)) from error
        if done.state is HeldState.SENT and not bcc:  # it exposes its thread now
            self._threads.remember(done.message_id, done.visible_count)
        if done.state is HeldState.SENT:
            how = "converted to Bcc" if bcc else "as is"
            return f"{held_id} released {how}: {done.outcome}"
        raise HeldAdminError(f"{held_id} was not released: {done.outcome}")

    def discard(self, held_id: str) -> str:
        """Delete ``held_id`` from the hold queue unsent."""
        record = self._record(held_id)
        if record.state is not HeldState.DISCARDED:
            try:
                record = self._engine.decide(record.id, Resolution.DISCARD).result(
                    _WAIT
                )
            except GuardError as error:
                raise HeldAdminError(str(error)) from error
        try:  # after the record: a crash in between is a discard to finish
            self.queue().delete(queue_id(record))
        except QueueError as error:
            raise HeldAdminError(f"{held_id} is discarded; {error}") from error
        return f"{held_id} discarded: deleted from Postfix's hold queue"
