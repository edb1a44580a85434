"""`bccguard account sign-in` tells the running guard, and the guard tells everyone
who waited for that account: the held mail and the mailbox watchers."""

from __future__ import annotations

import time
from pathlib import Path

from bccguard.adapters import paths
from bccguard.adapters.control_channel import request
from bccguard.service import Guard


def test_a_sign_in_over_the_control_channel_reaches_the_listeners(
    guard: Guard, tmp_path: Path
) -> None:
    heard: list[str] = []
    guard.on_signed_in(heard.append)
    answer = request(
        paths.control_file(tmp_path / "home"), "signed-in", account="gmail"
    )
    assert answer == {"ok": True}
    deadline = time.monotonic() + 5
    while not heard and time.monotonic() < deadline:
        time.sleep(0.01)
    assert heard == ["gmail"]


def test_new_settings_wake_every_listener(guard: Guard) -> None:
    heard: list[str] = []
    guard.on_signed_in(heard.append)
    guard.settings = guard.settings
    assert heard == [""]
