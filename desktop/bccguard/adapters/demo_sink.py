"""The embedded default upstream: a local SMTP sink that keeps what it receives.

``bccguard serve --demo`` (and the tray app's demo mode) relays to it, so a newcomer
can watch the guard work without an account. Each message lands in
``demo-outbox/NNNN.eml`` with its envelope in ``NNNN.json``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bccguard.adapters.private_files import private_dir, write_private
from bccguard.core.delivered_mail import DeliveredMail, read_delivered
from bccguard.core.settings import LOOPBACK_HOST


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK_HOST, 0))
        return int(sock.getsockname()[1])


class OffersPipelining:
    """Base for an aiosmtpd handler that offers PIPELINING (RFC 2920) as real
    submission servers do: aiosmtpd reads pipelined commands in order, but its
    EHLO does not say so. Set `pipelining` False to offer it no more."""

    pipelining = True

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


class _SinkHandler(OffersPipelining):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        data = bytes(envelope.original_content or b"")
        with self._lock:
            number = len(list(self.folder.glob("*.eml"))) + 1
            stem = self.folder / f"{number:04d}"
            sender = {
                "mail_from": envelope.mail_from,
                "rcpt_to": envelope.rcpt_tos,
                "received_at": time.time(),
            }
            write_private(stem.with_suffix(".json"), json.dumps(sender))
            # The .eml appears last and whole (written aside, then renamed): readers
            # list *.eml.
            write_private(stem.with_suffix(".eml"), data)
        return f"250 2.0.0 Delivered to the demo outbox as {stem.name}.eml"


class DemoSink:
    """A local SMTP server on 127.0.0.1 that stores every message it gets."""

    def __init__(self, folder: Path) -> None:
        self.folder = private_dir(folder)  # messages with real-looking addresses
        self.port = free_port()
        self._controller = Controller(
            _SinkHandler(folder),
            hostname=LOOPBACK_HOST,
            port=self.port,
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    def start(self) -> None:
        """Start listening."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def messages(self) -> list[Path]:
        """The delivered messages, oldest first."""
        return sorted(self.folder.glob("*.eml"))

    def delivered(self) -> list[DeliveredMail]:
        """The delivered messages as their recipients see them, oldest first."""
        return read_outbox(self.folder)


def read_outbox(folder: Path) -> list[DeliveredMail]:
    """Every message in a demo outbox ``folder``, read with its envelope."""
    mails = []
    for path in sorted(folder.glob("*.eml")):
        try:
            envelope = json.loads(path.with_suffix(".json").read_text("utf-8"))
            raw = path.read_bytes()
            received = float(envelope.get("received_at") or path.stat().st_mtime)
        except (OSError, ValueError):
            continue  # removed meanwhile, or not written by the sink
        mails.append(
            read_delivered(
                path.stem,
                raw,
                str(envelope.get("mail_from", "")),
                [str(r) for r in envelope.get("rcpt_to", [])],
                received,
            )
        )
    return mails
