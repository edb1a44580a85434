"""The plugin keeps one native host process for many messages, in a real Thunderbird.

The event page's idle timeout (``extensions.background.idle.timeout``) is set to 1 s
and the messages are sent 3 s apart: an open native port keeps the page, and so the
port and its host process, alive (Gecko exempts event pages with active native app
ports from suspension). A host that exits is replaced at the next message.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from bccguard.adapters.settings_file import save_settings
from bccguard.core.settings import PolicySettings, Settings
from bccguard.native_host.host import TRACE_ENV
from bccguard.native_host.manifest import install
from tests.plugin.conftest import Thunderbird
from tests.plugin.test_thunderbird import people
from tests.plugin.thunderbird import NO_OS_KEYRING, SENDER, visible, wait_for
from tests.smtp_sink import SinkServer

pytestmark = pytest.mark.slow

IDLE_TIMEOUT_MS = 1000
PAUSE_MS = 3 * IDLE_TIMEOUT_MS


def desktop_app(tmp_path: Path) -> dict[str, str]:
    """The desktop app installed for Thunderbird (threshold 3, convert); its env."""
    home = tmp_path / "bccguard-home"
    home.mkdir()
    save_settings(
        home / "config.toml",
        Settings(policy=PolicySettings(threshold=3, action="convert")),
    )
    install("Linux", user_home=tmp_path / "home", data_dir=home)
    return {
        "BCCGUARD_HOME": str(home),
        TRACE_ENV: str(tmp_path / "host-trace.jsonl"),
        **NO_OS_KEYRING,
    }


def host_trace(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "host-trace.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def scenario(count: int) -> dict[str, Any]:
    """``count`` messages to five people each, PAUSE_MS apart; the first compose
    window stays open 2 s before its Send."""
    messages: list[dict[str, Any]] = [
        {"to": people(5, f"m{n}x"), "subject": f"Message {n}"} for n in range(count)
    ]
    messages[0]["composeDelayMs"] = 2000
    return {
        "messages": messages,
        "pauseMs": PAUSE_MS,
        "keepAwake": True,  # the driver's own event page must not sleep in the pauses
    }


def converted(upstream: SinkServer, count: int) -> None:
    assert wait_for(lambda: len(upstream.received) >= count)
    assert len(upstream.received) == count
    for received in upstream.received:
        assert visible(message_from_bytes(received.data)) == {SENDER}


def test_one_host_process_answers_every_message_across_idle_pauses(
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
) -> None:
    env = desktop_app(tmp_path)
    run = thunderbird(
        scenario(3),
        env=env,
        prefs={"extensions.background.idle.timeout": IDLE_TIMEOUT_MS},
    )
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent-all", run.log
    converted(upstream, 3)  # the desktop app's policy (threshold 3) for each message
    requests = [e for e in host_trace(tmp_path) if e["event"] == "request"]
    assert [e["type"] for e in requests].count("policy") == 3, requests
    assert [e["type"] for e in requests].count("record-incident") == 3, requests
    # One process for all of them: the port outlived pauses three times the idle
    # timeout, so the background page was not suspended under it.
    pids = {e["pid"] for e in host_trace(tmp_path)}
    assert len(pids) == 1, host_trace(tmp_path)
    assert len({e["request_id"] for e in requests}) == len(requests)
    # The host was started when the compose window opened, before its Send.
    started = host_trace(tmp_path)[0]
    assert started["event"] == "start"
    assert started["at"] * 1000 < run.result["results"][0]["sentAt"] - 500


def test_a_host_that_exits_is_replaced_at_the_next_message(
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
) -> None:
    env = desktop_app(tmp_path)
    killed: list[int] = []

    def kill_the_first_host() -> None:
        # Once the first message is out (its requests are answered), end its host.
        if wait_for(lambda: len(upstream.received) >= 1, timeout=60):
            first = next(e["pid"] for e in host_trace(tmp_path))
            os.kill(first, signal.SIGKILL)
            killed.append(first)

    killer = threading.Thread(target=kill_the_first_host, daemon=True)
    killer.start()
    run = thunderbird(
        scenario(2),
        env=env,
        prefs={"extensions.background.idle.timeout": IDLE_TIMEOUT_MS},
    )
    killer.join(10)
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent-all", run.log
    assert killed, run.log
    # The second message still got the desktop app's policy, from a new process.
    converted(upstream, 2)
    starts = [e["pid"] for e in host_trace(tmp_path) if e["event"] == "start"]
    assert len(starts) == 2 and starts[0] == killed[0], host_trace(tmp_path)
    second = [e for e in host_trace(tmp_path) if e["pid"] == starts[1]]
    assert "policy" in [e["type"] for e in second]
