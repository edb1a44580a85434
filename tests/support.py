"""Test doubles and real local servers shared by the test packages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiosmtpd.smtp import SMTP, Envelope, Session

from bccguard.adapters.smtp_relay import TlsMode, UpstreamConfig
from bccguard.events import Event
from bccguard.service import Guard


@dataclass
class Received:
    """One transaction the upstream accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class UpstreamSink:
    """A real SMTP server on 127.0.0.1 that records every message it accepts."""

    port: int
    received: list[Received] = field(default_factory=list)
    reply: str = "250 2.0.0 queued by sink"
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> reply
    hang_up_in_data: bool = False  # close the connection instead of answering DATA
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.hang_up_in_data:
            assert server.transport is not None
            server.transport.close()
            return "421 closing"
        if self.reply.startswith("2"):
            with self.lock:
                self.received.append(
                    Received(
                        str(envelope.mail_from),
                        list(envelope.rcpt_tos),
                        bytes(envelope.original_content or b""),
                    )
                )
        return self.reply

    @property
    def config(self) -> UpstreamConfig:
        return UpstreamConfig(host="127.0.0.1", port=self.port, tls=TlsMode.NONE)


class MemorySecrets:
    """A secret store for tests (the keyring API itself is tested elsewhere)."""

    description = "memory"
    secure = True

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class EventLog:
    """An event sink that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


GuardFactory = Callable[..., Guard]


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
