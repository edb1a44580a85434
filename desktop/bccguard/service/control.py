"""Answers to the control channel (``bccguard held ...``, ``status``, ``pause``).

Runs on the proxy's event loop and never waits behind a relay: a decision is
handed to the engine (a quick durable write) and its outcome is awaited only up
to a limit, after which the record is returned as it stands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any

from bccguard.core.countdown import counting_down
from bccguard.core.held import HeldMessage, Resolution
from bccguard.core.individual_copies import Greeting
from bccguard.core.one_by_one import resumed, with_options
from bccguard.service.countdown import Countdowns
from bccguard.service.engine import HoldEngine
from bccguard.service.errors import GuardError

# How long `held release` waits for the first attempt before it says "sending".
DECISION_WAIT = 60.0
_RESOLUTIONS = ", ".join(r.value for r in Resolution)


def one_by_one_options(
    request: dict[str, Any],
) -> Callable[[HeldMessage], HeldMessage]:
    """The options of "send one by one" a request gives: greet by first name
    (``greeting``, with ``greeting_fallback``), or, when it says nothing, those
    the run had (a resume)."""
    if "greeting" not in request and "greeting_fallback" not in request:
        return resumed
    fallback = request.get("greeting_fallback")
    greet = bool(request.get("greeting", True)) or fallback is not None
    greeting = Greeting(str(fallback or "")) if greet else None
    return lambda record: with_options(record, greeting)


class ControlDesk:
    """The control channel's request handler."""

    def __init__(
        self,
        engine: HoldEngine,
        *,
        status: Callable[[], dict[str, Any]],
        pause: Callable[[float], None],
        countdowns: Countdowns | None = None,
        signed_in: Callable[[str], None] | None = None,
    ) -> None:
        self._engine = engine
        self._signed_in = signed_in or engine.signed_in
        self._countdowns = countdowns
        self._status = status
        self._pause = pause

    async def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request, one answer; errors are answers too."""
        op = request.get("op")
        if op == "status":
            return {"ok": True, **self._status()}
        if op == "list":
            return {"ok": True, "held": [h.to_json() for h in self._engine.all()]}
        if op == "decide":
            return await self._decide(request)
        if op == "pause":
            try:
                seconds = float(request.get("seconds", 0))
            except (TypeError, ValueError):
                return {"ok": False, "error": "seconds: must be a number"}
            self._pause(seconds)
            return {"ok": True, **self._status()}
        if op in ("undo", "send-now"):
            return await self._count_down(op, str(request.get("id", "")))
        if op == "signed-in":  # `account sign-in` stored new OAuth2 tokens
            self._signed_in(str(request.get("account", "")))
            return {"ok": True}
        return {"ok": False, "error": f"unknown request {op!r}"}

    async def _decide(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            resolution = Resolution(str(request.get("resolution")))
        except ValueError:
            return {"ok": False, "error": f"resolution must be one of {_RESOLUTIONS}"}
        held_id = str(request.get("id", ""))
        loop = asyncio.get_running_loop()
        record = self._engine.get(held_id)
        if record is not None and counting_down(record):
            if resolution is Resolution.AS_IS:  # a countdown's release: now
                return await self._count_down("send-now", held_id)
            if resolution is Resolution.BCC:  # convert: stop it, then convert it
                answer = await self._count_down("undo", held_id)
                if not answer["ok"]:
                    return answer
        try:
            future: Future[HeldMessage] = await loop.run_in_executor(
                None,
                partial(
                    self._engine.decide,
                    held_id,
                    resolution,
                    prepare=one_by_one_options(request)
                    if resolution is Resolution.INDIVIDUALLY
                    else None,
                ),
            )
        except GuardError as error:
            return {"ok": False, "error": str(error)}
        try:
            held = await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(future)), DECISION_WAIT
            )
        except TimeoutError:
            current = self._engine.get(held_id)
            return {"ok": True, "held": current.to_json() if current else None}
        return {"ok": True, "held": held.to_json()}

    async def _count_down(self, op: str, held_id: str) -> dict[str, Any]:
        """Undo a countdown (the message waits as held) or end it now."""
        if self._countdowns is None:
            return {"ok": False, "error": "this guard has no Undo send"}
        change = self._countdowns.undo if op == "undo" else self._countdowns.send_now
        loop = asyncio.get_running_loop()
        try:
            held = await loop.run_in_executor(None, change, held_id)
        except GuardError as error:
            return {"ok": False, "error": str(error)}
        return {"ok": True, "held": held.to_json()}
