"""Postfix's hold queue under the hold engine: where held records' messages live,
and how a release leaves.

The engine stays the only writer of records; the message itself is the queue
file Postfix holds (the record's ``extra["queue_id"]``). A release converted to
Bcc cannot be done in the queue (milters run only before queueing): the engine
reads the message (``postcat``), rewrites it (the relay form) and hands it here;
it is re-injected with the release marker, then the held copy is deleted. A
release as is goes the same way unconverted, by default: Postfix calls no milter
after one that quarantines, so the held copy was never signed, and the DKIM
signer after the milter signs it on re-injection. ``as_is_release = "in-place"``
makes it ``postsuper -H`` instead (Postfix's own copy to the byte, exactly once),
for servers with no signer after the milter. The engine records "the final dot
is going" before the re-injection, so a crash between the two steps leaves the
record "may have been sent" with the held copy intact: nothing is sent twice,
nothing is lost.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bccguard.adapters.held_store import HeldStore, HeldStoreError
from bccguard.adapters.smtp_relay import (
    AfterBatch,
    BatchOutcome,
    BeforeFinalDot,
    RelayResult,
)
from bccguard.core.header_block import parse_header_block, without_fields
from bccguard.core.held import HeldMessage, Resolution
from bccguard.core.outgoing import crlf_only, outgoing_form
from bccguard.milter.config import AS_IS_IN_PLACE, MilterSettings
from bccguard.milter.postfix_queue import PostfixQueue, QueueError
from bccguard.milter.release_marker import MARKER_FIELD, ReleaseMarker

log = logging.getLogger(__name__)

QUEUE_ID = "queue_id"
# Seconds after which an unfinished entry is a crash's leftover, not a hold under way.
_UNFINISHED_AGE = 3600.0
_KEY = "postfix"


def queue_id(record: HeldMessage) -> str:
    """The queue ID of a held record's message ("" when it has none)."""
    return record.extra.get(QUEUE_ID, "")


class PostfixHeldStore(HeldStore):
    """Held records in BccGuard's home; their messages in Postfix's hold queue."""

    def __init__(
        self, root: Path, queue: Callable[[], PostfixQueue], marker: ReleaseMarker
    ) -> None:
        super().__init__(root)
        self._queue = queue
        self._marker = marker

    def _sweep_unfinished(self) -> None:
        """Remove what a crash left, but not a hold the running milter is writing
        right now (the administrator's commands open the same folder)."""
        cutoff = time.time() - _UNFINISHED_AGE
        for path in self.root.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    shutil.rmtree(path, ignore_errors=True)

    def data(self, held_id: str) -> bytes:
        """The held message from Postfix's queue, with the release marker first.

        For a release as is in place (``postsuper -H``), the marker alone:
        Postfix sends its own copy, so a 50 MB message is not read for nothing.
        """
        record = self.get(held_id)
        if record is None or not queue_id(record):
            raise HeldStoreError(f"no queue ID for held message {held_id}")
        marker = f"{MARKER_FIELD}: {self._marker.value(held_id)}\r\n".encode()
        queue = self._queue()
        if record.resolution is Resolution.AS_IS and in_place(queue.settings):
            return marker + b"\r\n"
        try:
            message = queue.message(queue_id(record))
        except QueueError as error:
            raise HeldStoreError(f"held message {held_id}: {error}") from error
        return marker + crlf_only(message)  # postcat writes LF line ends


class PostfixOutlet:
    """Sends releases through Postfix (the engine's ``Outlet``)."""

    def __init__(
        self,
        settings: Callable[[], MilterSettings],
        store: HeldStore,
        marker: ReleaseMarker,
    ) -> None:
        self._settings = settings
        self._store = store
        self._marker = marker
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def queue(self) -> PostfixQueue:
        """The queue tools as the settings in force say."""
        return PostfixQueue(self._settings())

    def account_key(self, mail_from: str) -> str:
        """One way out for everyone: Postfix."""
        return _KEY

    def pool(self, key: str) -> ThreadPoolExecutor:
        """The releases' worker (one at a time: the queue tools are quick)."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="release"
                )
            return self._pool

    def close(self) -> None:
        """Let a release under way finish, then stop."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def send(
        self,
        mail_from: str,
        recipients: Sequence[str],
        data: bytes,
        *,
        before_final_dot: BeforeFinalDot | None = None,
        after_batch: AfterBatch | None = None,
    ) -> RelayResult:
        """Release the held message ``data`` names (by its marker) to ``recipients``."""
        batch = tuple(recipients)
        try:
            record = self._record(data)
            outcome = self._release(record, batch, data, before_final_dot)
        except (QueueError, HeldStoreError) as error:
            log.warning("release failed: %s", error)
            outcome = BatchOutcome(batch, 451, f"4.3.0 {error}")
        if after_batch is not None:
            after_batch(outcome)
        return RelayResult((outcome,))

    def _record(self, data: bytes) -> HeldMessage:
        head = parse_header_block(data)  # it reads no further than the header
        held_id = self._marker.held_id(head.first_text(MARKER_FIELD))
        record = self._store.get(held_id) if held_id else None
        if record is None or not queue_id(record):
            raise HeldStoreError("the message names no held record")
        return record

    def _release(
        self,
        record: HeldMessage,
        batch: tuple[str, ...],
        data: bytes,
        before_final_dot: BeforeFinalDot | None,
    ) -> BatchOutcome:
        queue = self.queue()
        qid = queue_id(record)
        if qid not in queue.held():
            raise QueueError(f"{qid} is not in Postfix's hold queue")
        if before_final_dot is not None:
            before_final_dot(batch)  # durable before anything leaves
        if record.resolution is Resolution.AS_IS and in_place(self._settings()):
            queue.release(qid)
            log.info("held %s (%s) released as is", record.id, qid)
            return BatchOutcome(batch, 250, "2.0.0 released from the hold queue as is")
        converted = record.resolution is Resolution.BCC
        outgoing = outgoing_form(data)
        queue.inject(
            record.mail_from, batch, _unsigned(outgoing) if converted else outgoing
        )
        how = "converted" if converted else "as is"
        log.info("held %s (%s) re-injected %s", record.id, qid, how)
        try:
            queue.delete(qid)
        except QueueError:
            log.exception("held %s: the copy left; delete %s by hand", record.id, qid)
        return BatchOutcome(batch, 250, f"2.0.0 queued by Postfix {how}")


def in_place(settings: MilterSettings) -> bool:
    """True when a release as is is Postfix's own ``postsuper -H``."""
    return settings.as_is_release == AS_IS_IN_PLACE


def _unsigned(data: bytes) -> bytes:
    """``data`` without its DKIM signatures: the conversion changed the To and Cc
    they sign, so they could only fail; the signer after the milter signs the
    converted message afresh (RFC 6376 §3.5, h=)."""
    block = parse_header_block(data)
    return without_fields(data, block, "DKIM-Signature")
