"""Test doubles and real local servers shared by the test packages."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from bccguard.adapters.secrets import MemorySecretStore
from bccguard.events import Event
from bccguard.service import Guard


class MemorySecrets(MemorySecretStore):
    """A secret store for tests (the keyring API itself is tested elsewhere)."""


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


def wait_listening(port: int, limit: float = 30.0) -> None:
    """Until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + limit
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
