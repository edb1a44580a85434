"""The proxy holds input that is not a message, with the reason; it never passes."""

from __future__ import annotations

import smtplib
import time

import pytest

from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.core.settings import PolicySettings, Settings
from bccguard.service import Guard
from tests.smtp_sink import SinkServer
from tests.support import GuardFactory

NOT_A_MESSAGE = [
    b"Dear all, the minutes: a@x.example, b@y.example\r\n",
    bytes(range(1, 256)).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n",
]


def submit(guard: Guard, data: bytes, rcpts: list[str]) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=30) as client:
        client.login("anyone", guard.local_secret)
        client.mail("me@sender.example")
        for rcpt in rcpts:
            client.rcpt(rcpt)
        code, text = client.data(data)
    return code, text.decode()


def waiting(guard: Guard) -> list[HeldMessage]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        held = [h for h in guard.store.all() if h.state is HeldState.WAITING]
        if held:
            return held
        time.sleep(0.02)
    return []


@pytest.mark.parametrize("data", NOT_A_MESSAGE, ids=["text", "binary"])
@pytest.mark.parametrize("action", ["ask", "convert"])
def test_input_without_a_header_field_waits_for_the_user_with_the_reason(
    make_guard: GuardFactory, upstream: SinkServer, data: bytes, action: str
) -> None:
    # Conversion cannot make it a message: even "convert" leaves it to the user.
    guard = make_guard(
        Settings(policy=PolicySettings(action=action)), decision_timeout=1.0
    )
    code, text = submit(guard, data, ["a@x.example", "b@y.example"])
    assert code == 451, text
    assert "waits in BccGuard" in text
    held = waiting(guard)
    assert len(held) == 1
    assert "not a message: it has no header field" in held[0].reasons
    assert upstream.received == []
    guard.decide(held[0].id, Resolution.DISCARD).result(30)
    assert upstream.received == []
