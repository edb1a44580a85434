"""Fixtures for the native host: a BccGuard home and a way to talk frames to it."""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from bccguard.native_host.host import serve
from bccguard.native_host.requests import Requests

Exchange = Callable[[bytes], tuple[int, list[dict[str, Any]]]]


def frame(obj: Any) -> bytes:
    payload = json.dumps(obj).encode("utf-8")
    return struct.pack("=I", len(payload)) + payload


def replies(data: bytes) -> list[dict[str, Any]]:
    found = []
    while data:
        (size,) = struct.unpack("=I", data[:4])
        found.append(json.loads(data[4 : 4 + size].decode("utf-8")))
        data = data[4 + size :]
    return found


@pytest.fixture(autouse=True)
def no_os_keyring() -> Iterator[None]:
    """Secrets go to the private file in the test's home, never the OS keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def exchange(home: Path) -> Exchange:
    """Feed raw bytes to the host loop; its exit code and the replies it wrote."""

    def run(data: bytes) -> tuple[int, list[dict[str, Any]]]:
        out = io.BytesIO()
        code = serve(io.BytesIO(data), out, Requests(home))
        return code, replies(out.getvalue())

    return run
