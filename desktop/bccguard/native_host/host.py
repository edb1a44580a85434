"""The host's loop: read a request, answer it, until Thunderbird closes the pipe."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import BinaryIO

from bccguard.adapters import paths
from bccguard.native_host.framing import (
    EndOfInput,
    FramingError,
    read_message,
    write_message,
)
from bccguard.native_host.requests import Requests

log = logging.getLogger(__name__)


def serve(stdin: BinaryIO, stdout: BinaryIO, requests: Requests) -> int:
    """Answer requests until the input ends or a frame breaks; returns the exit code."""
    while True:
        try:
            request = read_message(stdin)
        except FramingError as error:
            log.warning("bad frame: %s", error)
            write_message(stdout, {"ok": False, "error": str(error)})
            if error.resync:
                continue
            return 1
        if isinstance(request, EndOfInput):
            return 0
        write_message(stdout, requests.handle(request))


def main(home: Path | None = None) -> int:
    """Run the host on this process's stdin/stdout (Thunderbird's pipes)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    requests = Requests(home if home is not None else paths.home())
    return serve(sys.stdin.buffer, sys.stdout.buffer, requests)
