"""Framing: every input gets an answer or a clean end, never a crash or a hang."""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path

from bccguard.native_host.framing import MAX_REPLY, MAX_REQUEST, encode_reply
from bccguard.native_host.host import serve
from bccguard.native_host.requests import Requests
from tests.native_host.conftest import Exchange, frame, replies


def test_requests_in_a_row_each_get_a_reply(exchange: Exchange) -> None:
    code, answers = exchange(frame({"type": "policy"}) + frame({"type": "policy"}))
    assert code == 0
    assert [a["ok"] for a in answers] == [True, True]


def test_no_input_ends_cleanly(exchange: Exchange) -> None:
    assert exchange(b"") == (0, [])


def test_garbage_json_gets_an_error_and_reading_goes_on(exchange: Exchange) -> None:
    bad = b"{not json"
    data = struct.pack("=I", len(bad)) + bad + frame({"type": "policy"})
    code, answers = exchange(data)
    assert code == 0
    assert answers[0]["ok"] is False
    assert "JSON" in answers[0]["error"]
    assert answers[1]["ok"] is True


def test_invalid_utf8_and_non_objects_are_errors(exchange: Exchange) -> None:
    bad = b'"\xff\xfe"'
    data = struct.pack("=I", len(bad)) + bad + frame([1, 2]) + frame(None)
    code, answers = exchange(data)
    assert code == 0
    assert [a["ok"] for a in answers] == [False, False, False]


def test_oversized_length_is_refused_without_reading_it(exchange: Exchange) -> None:
    code, answers = exchange(struct.pack("=I", MAX_REQUEST + 1) + b"x" * 10)
    assert code == 1
    assert answers == [{"ok": False, "error": answers[0]["error"]}]
    assert "larger" in answers[0]["error"]


def test_garbage_length_of_four_gigabytes_does_not_hang(exchange: Exchange) -> None:
    code, answers = exchange(b"\xff\xff\xff\xff{}")
    assert code == 1
    assert answers[0]["ok"] is False


def test_truncated_length_prefix(exchange: Exchange) -> None:
    code, answers = exchange(b"\x05\x00")
    assert code == 1
    assert "truncated" in answers[0]["error"]


def test_truncated_message(exchange: Exchange) -> None:
    code, answers = exchange(struct.pack("=I", 100) + b'{"type": "pol')
    assert code == 1
    assert "truncated" in answers[0]["error"]


def test_unknown_request_type(exchange: Exchange) -> None:
    _, answers = exchange(frame({"type": "format-disk"}) + frame({"kind": 1}))
    assert [a["ok"] for a in answers] == [False, False]
    assert "unknown request type" in answers[0]["error"]


def test_a_reply_over_one_megabyte_becomes_an_error() -> None:
    data = encode_reply({"ok": True, "blob": "x" * MAX_REPLY})
    (size,) = struct.unpack("=I", data[:4])
    assert size == len(data) - 4 < 200
    assert replies(data)[0]["ok"] is False


def test_random_bytes_never_crash_or_hang(home: Path) -> None:
    rng = random.Random(5322)
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        if rng.random() < 0.5:  # a plausible length in front of the garbage
            data = struct.pack("=I", rng.randrange(0, 40)) + data
        out = io.BytesIO()
        code = serve(io.BytesIO(data), out, Requests(home))
        assert code in (0, 1)
        for answer in replies(out.getvalue()):
            assert isinstance(answer["ok"], bool)
