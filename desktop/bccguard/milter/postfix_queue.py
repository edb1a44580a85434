"""Postfix's own queue tools, the only way BccGuard touches Postfix's queue.

Reading, releasing and deleting a held message need privileges the milter does
not have: they go through the small helper (``packaging/milter/postfix-queue``,
allowed by a sudoers rule for exactly those commands). Listing (``postqueue -j``)
and re-injecting (``sendmail``) are what every local user may do.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bccguard.milter.config import MilterSettings

_TIMEOUT = 120.0
log = logging.getLogger(__name__)


class QueueError(Exception):
    """A queue tool failed; the text says which and what it said."""


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One message in Postfix's queue, as ``postqueue -j`` describes it."""

    queue_id: str
    queue_name: str
    sender: str
    recipients: tuple[str, ...]
    size: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueuedMessage:
        """One line of ``postqueue -j``."""
        return cls(
            queue_id=str(data.get("queue_id", "")),
            queue_name=str(data.get("queue_name", "")),
            sender=str(data.get("sender", "")),
            recipients=tuple(
                str(r.get("address", "")) for r in data.get("recipients", [])
            ),
            size=int(data.get("message_size", 0)),
        )


class PostfixQueue:
    """Runs Postfix's queue tools as the settings say."""

    def __init__(self, settings: MilterSettings) -> None:
        self.settings = settings
        self._settings = settings
        self._env = dict(os.environ)
        if settings.postfix_config:
            self._env["MAIL_CONFIG"] = settings.postfix_config
            self._env["BCCGUARD_POSTFIX_CONFIG"] = settings.postfix_config

    def _run(self, command: Sequence[str], data: bytes | None = None) -> bytes:
        try:
            done = subprocess.run(
                list(command),
                input=data,
                capture_output=True,
                env=self._env,
                timeout=_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise QueueError(f"{command[0]}: {error}") from error
        if done.returncode != 0:
            said = (
                done.stderr.decode("utf-8", "replace").strip()
                or f"exit {done.returncode}"
            )
            raise QueueError(f"{' '.join(command[:3])}: {said}")
        return done.stdout

    def _helper(self, action: str, queue_id: str) -> bytes:
        return self._run([*self._settings.queue_helper, action, queue_id])

    def message(self, queue_id: str) -> bytes:
        """The held message's header and body, as queued.

        Raises:
            QueueError: it is not in the queue, or the helper failed.
        """
        return self._helper("show", queue_id)

    def release(self, queue_id: str) -> None:
        """Move the message from the hold queue to delivery, unchanged.

        ``postsuper -H`` puts it in the deferred queue, whose next run may be
        minutes away: ``postqueue -i`` asks for its delivery now (a failure of
        that only delays it).
        """
        self._helper("release", queue_id)
        try:
            self._run(["postqueue", "-i", queue_id])
        except QueueError as error:
            log.warning(
                "%s released; Postfix delivers it at its next run: %s", queue_id, error
            )

    def delete(self, queue_id: str) -> None:
        """Delete the message from the hold queue (nothing if it is not there)."""
        self._helper("delete", queue_id)

    def listing(self) -> list[QueuedMessage]:
        """Every message in Postfix's queue (``postqueue -j``)."""
        out = self._run(["postqueue", "-j"])
        found = []
        for line in out.splitlines():
            if line.strip():
                found.append(QueuedMessage.from_json(json.loads(line)))
        return found

    def held(self) -> dict[str, QueuedMessage]:
        """The messages in the hold queue, by queue ID."""
        return {m.queue_id: m for m in self.listing() if m.queue_name == "hold"}

    def inject(self, mail_from: str, recipients: Sequence[str], data: bytes) -> None:
        """Queue ``data`` for ``recipients`` through Postfix's sendmail.

        ``-i``: a line with a single dot is text; ``-G``: a relay, not an
        initial submission, so Postfix adds no headers of its own.
        """
        sender = mail_from or "<>"
        self._run(
            [self._settings.sendmail, "-G", "-i", "-f", sender, "--", *recipients], data
        )
