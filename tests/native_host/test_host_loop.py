"""One host process answers many requests on one pipe, and still one and done."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from bccguard.native_host.host import TRACE_ENV, tagged
from bccguard.native_host.requests import Requests
from tests.native_host.conftest import Exchange, frame, replies

# The host process keeps its local secret in the test's home, not the OS keyring.
NO_OS_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def read_reply(stream: IO[bytes]) -> dict[str, Any]:
    header = stream.read(4)
    assert len(header) == 4, "the host closed its output"
    (size,) = struct.unpack("=I", header)
    reply: dict[str, Any] = json.loads(stream.read(size).decode("utf-8"))
    return reply


@pytest.fixture
def host_process(home: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m bccguard.native_host`` as Thunderbird starts it, with a trace."""
    env = {
        **os.environ,
        **NO_OS_KEYRING,
        "BCCGUARD_HOME": str(home),
        TRACE_ENV: str(tmp_path / "trace.jsonl"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bccguard.native_host"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(10)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def trace(tmp_path: Path) -> list[dict[str, Any]]:
    text = (tmp_path / "trace.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_one_process_answers_each_request_as_it_comes_until_eof(
    host_process: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    # Like a connectNative port: each reply is read before the next request is
    # written, so the host must answer without waiting for the end of its input.
    assert host_process.stdin is not None and host_process.stdout is not None
    kinds = ["policy", "check", "policy", "format-disk", "policy"]
    thirty = ", ".join(f"p{i}@d{i}.example" for i in range(30))
    answers = []
    for number, kind in enumerate(kinds, start=1):
        request: dict[str, Any] = {"type": kind, "request_id": number}
        if kind == "check":
            request["headers"] = {"to": thirty}
        host_process.stdin.write(frame(request))
        host_process.stdin.flush()
        answers.append(read_reply(host_process.stdout))
    host_process.stdin.close()
    assert host_process.wait(10) == 0
    assert [a["request_id"] for a in answers] == [1, 2, 3, 4, 5]
    assert [a["ok"] for a in answers] == [True, True, True, False, True]
    assert answers[1]["result"]["verdict"] != "pass"
    events = trace(tmp_path)
    assert [e["event"] for e in events] == ["start", *["request"] * 5, "end"]
    assert len({e["pid"] for e in events}) == 1
    assert [e["request_id"] for e in events[1:-1]] == [1, 2, 3, 4, 5]


def test_a_single_untagged_request_is_answered_and_the_host_exits_at_eof(
    host_process: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    # How runtime.sendNativeMessage (older plugins) talks: one message, then EOF.
    out, _ = host_process.communicate(frame({"type": "policy"}), timeout=30)
    assert host_process.returncode == 0
    [answer] = replies(out)
    assert answer["ok"] is True
    assert "request_id" not in answer
    assert [e["event"] for e in trace(tmp_path)] == ["start", "request", "end"]


def test_the_loop_tags_replies_and_a_framing_error_reply_has_no_tag(
    exchange: Exchange,
) -> None:
    bad = b"{not json"
    data = (
        frame({"type": "policy", "request_id": 7})
        + struct.pack("=I", len(bad))
        + bad
        + frame({"type": "nope", "request_id": "x8"})
    )
    code, answers = exchange(data)
    assert code == 0
    assert [a.get("request_id") for a in answers] == [7, None, "x8"]
    assert [a["ok"] for a in answers] == [True, False, False]


@pytest.mark.parametrize("request_id", [True, None, 1.5, [1], {"a": 1}])
def test_only_whole_numbers_and_text_are_echoed_as_request_ids(
    request_id: object,
) -> None:
    assert tagged({"ok": True}, {"request_id": request_id}) == {"ok": True}


def test_a_hanging_secret_store_costs_a_long_lived_host_one_thread(home: Path) -> None:
    release = threading.Event()
    started = []

    def hangs(home: Path) -> str:
        started.append(1)
        release.wait(10)
        return "ab" * 32

    requests = Requests(home, decision_key=hangs, decision_key_timeout=0.05)
    try:
        for _ in range(5):
            reply = requests.handle({"type": "policy"})
            assert reply["ok"] is True
            assert "decision_key" not in reply
        assert len(started) == 1
    finally:
        release.set()
    # Once the store answers, the next request gets the key and a later one looks
    # again (the local secret may have been replaced in the meantime).
    assert requests.handle({"type": "policy"})["decision_key"] == "ab" * 32
    assert requests.handle({"type": "policy"})["decision_key"] == "ab" * 32
    assert len(started) == 2
