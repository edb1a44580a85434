"""The proxy holds input that is not a message, with the reason; it never passes."""

from __future__ import annotations

import pytest

from bccguard.core.held import Resolution
from bccguard.core.settings import PolicySettings, Settings
from tests.service.proxy_client import submit, waiting
from tests.smtp_sink import SinkServer
from tests.support import GuardFactory

NOT_A_MESSAGE = [
    b"Dear all, the minutes: a@x.example, b@y.example\r\n",
    bytes(range(1, 256)).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n",
]


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
