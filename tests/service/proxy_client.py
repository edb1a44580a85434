"""A mail program at the proxy: submit a message, and wait for what it holds."""

from __future__ import annotations

import smtplib
import time

from bccguard.core.held import HeldMessage, HeldState
from bccguard.service import Guard


def submit(guard: Guard, data: bytes, rcpts: list[str]) -> tuple[int, str]:
    """Send `data` from me@sender.example to `rcpts`; the proxy's answer to DATA."""
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=30) as client:
        client.login("anyone", guard.local_secret)
        client.mail("me@sender.example")
        for rcpt in rcpts:
            client.rcpt(rcpt)
        code, text = client.data(data)
    return code, text.decode()


def waiting(guard: Guard) -> list[HeldMessage]:
    """The messages waiting for the user, once there are any (none after 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        held = [h for h in guard.store.all() if h.state is HeldState.WAITING]
        if held:
            return held
        time.sleep(0.02)
    return []
