"""Native messaging framing: a 4-byte native-order length, then UTF-8 JSON.

Thunderbird writes one message per request and reads replies of at most 1 MB. A bad
frame gets an error reply, never a crash: a JSON error leaves the stream in step, a
bad length or a truncated frame does not, so reading stops after replying.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

LENGTH = struct.Struct("=I")  # native byte order, 4 bytes
MAX_REQUEST = 1024 * 1024
MAX_REPLY = 1024 * 1024  # Thunderbird refuses bigger replies


class FramingError(Exception):
    """A frame that cannot be read; ``resync`` says whether reading may go on."""

    def __init__(self, message: str, *, resync: bool) -> None:
        super().__init__(message)
        self.resync = resync


@dataclass(frozen=True, slots=True)
class EndOfInput:
    """Thunderbird closed the pipe between messages."""


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def read_message(stream: BinaryIO) -> dict[str, Any] | EndOfInput:
    """The next request object, or :class:`EndOfInput`.

    Raises:
        FramingError: the frame is truncated, too large, or not a JSON object.
    """
    header = _read_exactly(stream, LENGTH.size)
    if not header:
        return EndOfInput()
    if len(header) < LENGTH.size:
        raise FramingError("truncated length prefix", resync=False)
    (size,) = LENGTH.unpack(header)
    if size > MAX_REQUEST:
        raise FramingError(
            f"message of {size} bytes is larger than {MAX_REQUEST}", resync=False
        )
    payload = _read_exactly(stream, size)
    if len(payload) < size:
        raise FramingError(
            f"message truncated: {len(payload)} of {size} bytes", resync=False
        )
    try:
        value = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FramingError(f"not UTF-8 JSON: {error}", resync=True) from error
    if not isinstance(value, dict):
        raise FramingError("a request must be a JSON object", resync=True)
    return value


def encode_reply(reply: dict[str, Any]) -> bytes:
    """One framed reply; a reply over the size limit becomes an error reply."""
    payload = json.dumps(reply, ensure_ascii=False).encode("utf-8")
    if len(payload) > MAX_REPLY:
        payload = json.dumps(
            {"ok": False, "error": f"reply of {len(payload)} bytes is too large"}
        ).encode("utf-8")
    return LENGTH.pack(len(payload)) + payload


def write_message(stream: BinaryIO, reply: dict[str, Any]) -> None:
    """Write and flush one framed reply."""
    stream.write(encode_reply(reply))
    stream.flush()
