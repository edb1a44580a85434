"""The host's loop: read a request, answer it, until Thunderbird closes the pipe.

One process answers many requests: the plugin keeps a port open with
``runtime.connectNative`` and tags each request with ``request_id``, which the reply
carries back. A plugin that uses ``runtime.sendNativeMessage`` sends one untagged
request and closes the pipe; the same loop answers it and ends at that EOF.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from bccguard.adapters import paths
from bccguard.native_host.framing import (
    EndOfInput,
    FramingError,
    read_message,
    write_message,
)
from bccguard.native_host.requests import Reply, Requests

log = logging.getLogger(__name__)

# Test-only: a file to which each host process appends one JSON line when it starts,
# per request and when its input ends, so a test can count host processes.
TRACE_ENV = "BCCGUARD_NATIVE_HOST_TRACE"

Trace = Callable[[str, Mapping[str, Any]], None]


def tagged(reply: Reply, request: Mapping[str, Any]) -> Reply:
    """The reply with the request's ``request_id``, when it has a usable one."""
    request_id = request.get("request_id")
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        return reply
    return {**reply, "request_id": request_id}


def serve(
    stdin: BinaryIO, stdout: BinaryIO, requests: Requests, trace: Trace | None = None
) -> int:
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
            if trace is not None:
                trace("end", {})
            return 0
        if trace is not None:
            trace("request", request)
        write_message(stdout, tagged(requests.handle(request), request))


def trace_to(path: Path) -> Trace:
    """A trace that appends ``{"event", "pid", "at", "type", "request_id"}`` lines."""
    from bccguard.adapters.private_files import open_private_append  # noqa: PLC0415

    def trace(event: str, request: Mapping[str, Any]) -> None:
        entry = {
            "event": event,
            "pid": os.getpid(),
            "at": time.time(),
            "type": request.get("type"),
            "request_id": request.get("request_id"),
        }
        with open_private_append(path) as handle:
            handle.write(json.dumps(entry) + "\n")

    return trace


def main(home: Path | None = None) -> int:
    """Run the host on this process's stdin/stdout (Thunderbird's pipes)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    requests = Requests(home if home is not None else paths.home())
    trace_file = os.environ.get(TRACE_ENV)
    trace = trace_to(Path(trace_file)) if trace_file else None
    if trace is not None:
        trace("start", {})
    return serve(sys.stdin.buffer, sys.stdout.buffer, requests, trace)
