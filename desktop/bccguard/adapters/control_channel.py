"""The running guard's control channel: JSON lines over a loopback TCP socket.

The guard writes ``control.json`` (port, token, pid; readable only by the user) into
``BCCGUARD_HOME``; ``bccguard held ...`` reads it, connects, and sends one request
carrying the token. The token keeps other local users out.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bccguard.adapters.private_files import write_private
from bccguard.core.settings import LOOPBACK_HOST

log = logging.getLogger(__name__)

Request = dict[str, Any]
Handler = Callable[[Request], Awaitable[dict[str, Any]]]
_MAX_REQUEST = 64 * 1024


class ControlError(Exception):
    """The guard could not be reached or refused the request."""


class ControlServer:
    """Answers control requests on the guard's event loop."""

    def __init__(self, handler: Handler, info_file: Path) -> None:
        self._handler = handler
        self._info_file = info_file
        self._token = secrets.token_urlsafe(24)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen on a free loopback port and publish how to reach it."""
        self._server = await asyncio.start_server(
            self._serve, LOOPBACK_HOST, 0, limit=_MAX_REQUEST
        )
        port = self._server.sockets[0].getsockname()[1]
        info = {"port": port, "token": self._token, "pid": os.getpid()}
        write_private(self._info_file, json.dumps(info))  # the token: 0600

    @property
    def listening(self) -> bool:
        """True from :meth:`start` until :meth:`stop`."""
        return self._server is not None

    async def stop(self) -> None:
        """Stop answering and withdraw the info file."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self._info_file.unlink(missing_ok=True)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
            reply = await self._answer(line)
        except (TimeoutError, ValueError, ConnectionError) as error:
            reply = {"ok": False, "error": f"bad request: {error}"}
        try:
            writer.write(json.dumps(reply).encode("utf-8") + b"\n")
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "bad request: not JSON"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "bad request: not an object"}
        token = str(request.pop("token", ""))
        if not hmac.compare_digest(token.encode(), self._token.encode()):
            return {"ok": False, "error": "not allowed: wrong token"}
        try:
            return await self._handler(request)
        except Exception as error:  # the boundary: answer, and keep the guard running
            log.exception("control request %s failed", request.get("op"))
            return {"ok": False, "error": str(error)}


def request(
    info_file: Path, op: str, timeout: float = 120.0, **args: Any
) -> dict[str, Any]:
    """Send one request to the running guard and return its answer.

    Raises:
        ControlError: no guard is running for this home, or it did not answer.
    """
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
        port, token = int(info["port"]), str(info["token"])
    except FileNotFoundError:
        raise ControlError(
            "BccGuard is not running for this home (start it with 'bccguard serve' "
            "or 'bccguard')"
        ) from None
    except (OSError, ValueError, KeyError) as error:
        raise ControlError(f"cannot read {info_file.name}: {error}") from error
    payload = json.dumps({"op": op, "token": token, **args}).encode("utf-8") + b"\n"
    try:
        with socket.create_connection((LOOPBACK_HOST, port), timeout=timeout) as sock:
            sock.sendall(payload)
            answer = sock.makefile("rb").readline()
    except OSError as error:
        raise ControlError(
            f"BccGuard does not answer on port {port} ({error}); is it still running?"
        ) from error
    try:
        reply: dict[str, Any] = json.loads(answer)
    except ValueError as error:
        raise ControlError("BccGuard sent an unreadable answer") from error
    if not reply.get("ok"):
        raise ControlError(str(reply.get("error", "request refused")))
    return reply
