"""The requests the plugin makes: policy, check, record-incident, open-apology.

Every handler returns the reply object: ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``; a bad request is an error reply, not an exception.

The ``policy`` reply also carries ``decision_key``: the key the plugin signs a
"send as is" with (``bccguard.core.decision_proof``), so the proxy does not ask
again. It is left out when the secret store cannot give the local secret in time.
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bccguard.adapters import paths
from bccguard.adapters.settings_file import load_settings
from bccguard.core.incidents import IncidentLogError
from bccguard.core.message import read_message
from bccguard.core.policy import Policy, PolicyError
from bccguard.core.settings import Settings, SettingsError
from bccguard.core.verdict import check
from bccguard.native_host.incidents import record_incident

log = logging.getLogger(__name__)

Reply = dict[str, Any]
HEADER_NAMES = ("from", "sender", "to", "cc", "bcc", "subject", "message-id")
_INCIDENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The plugin waits 3 s for a reply; a keyring that hangs must not cost it the policy.
DECISION_KEY_TIMEOUT = 1.0


class RequestError(Exception):
    """A request the host cannot answer; its text goes back to the plugin."""


def _has_apologize_command() -> bool:
    """True when this BccGuard's command line has ``apologize``."""
    from bccguard.cli import build_parser  # noqa: PLC0415 (only for this request)

    for action in build_parser()._actions:
        choices = action.choices
        if isinstance(action, argparse._SubParsersAction) and "apologize" in (
            choices or {}
        ):
            return True
    return False


def _local_decision_key(home: Path) -> str:
    """The hex key for decision proofs, from this install's local secret."""
    # Imported here: the other requests need neither the keyring nor the proof.
    from bccguard.adapters.secrets import (  # noqa: PLC0415
        ensure_local_secret,
        open_secret_store,
    )
    from bccguard.core.decision_proof import proof_key  # noqa: PLC0415

    return proof_key(ensure_local_secret(open_secret_store(home))).hex()


class BoundedLookup:
    """``work()``'s result within a time limit, one lookup at a time.

    A lookup that outlasts its request goes on in its thread, and the next request
    waits on that one instead of starting another: the host answers many requests,
    and a secret store that hangs must cost it one thread, not one per message.
    """

    def __init__(self, work: Callable[[], str], timeout: float) -> None:
        self.work = work
        self.timeout = timeout
        self._running: tuple[threading.Thread, list[str]] | None = None

    def get(self) -> str | None:
        """The result, or None when the work fails or takes longer than the limit."""
        if self._running is None:
            self._running = self._start()
        worker, result = self._running
        worker.join(self.timeout)
        if worker.is_alive():
            log.warning(
                "no decision key: the secret store took over %.1f s", self.timeout
            )
            return None
        self._running = None
        return result[0] if result else None

    def _start(self) -> tuple[threading.Thread, list[str]]:
        result: list[str] = []

        def run() -> None:
            try:
                result.append(self.work())
            except Exception:
                log.warning("no decision key: the secret store failed", exc_info=True)

        worker = threading.Thread(target=run, name="decision-key", daemon=True)
        worker.start()
        return worker, result


def _start_detached(argv: list[str]) -> None:
    """Start ``argv`` detached, with no handle on the native messaging pipe."""
    flags = 0
    if sys.platform == "win32":
        flags = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=sys.platform != "win32",
        creationflags=flags,
        close_fds=True,
    )


def _sender(request: Mapping[str, Any]) -> str:
    """The identity the message is from, when the plugin says ("" otherwise)."""
    sender = request.get("sender", "")
    if not isinstance(sender, str):
        raise RequestError("sender: must be a string")
    return sender.strip()


@dataclass
class Requests:
    """Answers the plugin's requests against one BccGuard home folder."""

    home: Path
    has_apologize: Callable[[], bool] = _has_apologize_command
    start: Callable[[list[str]], None] = _start_detached
    decision_key: Callable[[Path], str] = _local_decision_key
    decision_key_timeout: float = DECISION_KEY_TIMEOUT
    handlers: dict[str, Callable[[Mapping[str, Any]], Reply]] = field(init=False)
    key_lookup: BoundedLookup = field(init=False)

    def __post_init__(self) -> None:
        self.key_lookup = BoundedLookup(
            lambda: self.decision_key(self.home), self.decision_key_timeout
        )
        self.handlers = {
            "policy": self.policy,
            "check": self.check,
            "record-incident": self.record_incident,
            "open-apology": self.open_apology,
        }

    def handle(self, request: Mapping[str, Any]) -> Reply:
        """The reply to one request."""
        kind = request.get("type")
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            return {"ok": False, "error": f"unknown request type: {kind!r}"}
        try:
            return handler(request)
        except (RequestError, SettingsError, PolicyError, IncidentLogError) as error:
            return {"ok": False, "error": str(error)}
        except Exception as error:  # the boundary: never a traceback on the pipe
            log.error("request %s failed", kind, exc_info=True)
            return {"ok": False, "error": f"internal error: {type(error).__name__}"}

    def settings(self) -> Settings:
        return load_settings(paths.config_file(self.home))

    def policy(self, request: Mapping[str, Any]) -> Reply:
        """The policy the proxy applies to mail from ``sender`` (its account's
        threshold and action, the recipient rules with their lists' members), and
        the key for decision proofs."""
        policy = self.settings().policy_for(_sender(request))
        reply: Reply = {
            "ok": True,
            "policy": {
                "threshold": policy.threshold,
                "trusted_domains": sorted(policy.trusted_domains),
                "action": policy.action.value,
                "rules": [rule.to_json() for rule in policy.rules],
            },
        }
        key = self.key_lookup.get()
        if key is not None:
            reply["decision_key"] = key
        return reply

    def check(self, request: Mapping[str, Any]) -> Reply:
        """The verdict for the given headers, as ``bccguard check --json`` prints it."""
        raw = _header_block(request.get("headers"))
        message = read_message(raw)
        sender = _sender(request) or (
            message.senders[0].addr if message.senders else ""
        )
        base = self.settings().policy_for(sender)
        overrides = request.get("policy") or {}
        if not isinstance(overrides, Mapping):
            raise RequestError("policy: must be an object")
        threshold = overrides.get("threshold", base.threshold)
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            raise RequestError("policy.threshold: must be a whole number")
        policy = Policy.build(
            threshold=threshold,
            trusted_domains=_strings(
                "policy.trusted_domains",
                overrides.get("trusted_domains", sorted(base.trusted_domains)),
            ),
            action=base.action,
            rules=base.rules,
        ).with_own_keys(base.own_addresses)
        return {"ok": True, "result": check(message, policy).to_json()}

    def record_incident(self, request: Mapping[str, Any]) -> Reply:
        """Keep the incident the plugin reports; replies with its id."""
        incident = request.get("incident")
        if not isinstance(incident, dict):
            raise RequestError("incident: must be an object")
        return {"ok": True, "id": record_incident(self.home, incident)}

    def open_apology(self, request: Mapping[str, Any]) -> Reply:
        """Open the desktop apology composer for an incident, when this app has one."""
        incident = request.get("incident")
        if not isinstance(incident, str) or not _INCIDENT_ID.fullmatch(incident):
            raise RequestError("incident: must be an incident id")
        if not self.has_apologize():
            return {"ok": True, "opened": False, "reason": "unavailable"}
        self.start(
            [sys.executable, "-m", "bccguard", "apologize", "--incident", incident]
        )
        return {"ok": True, "opened": True}


def _strings(name: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestError(f"{name}: must be a list of strings")
    return list(value)


def _header_block(headers: object) -> bytes:
    """A raw header block from ``{"to": "..." | [...], ...}`` or a raw text block."""
    if isinstance(headers, str):
        return headers.encode("utf-8", "surrogateescape")
    if not isinstance(headers, Mapping):
        raise RequestError("headers: must be an object or the header text")
    lines = []
    for name, value in headers.items():
        if not isinstance(name, str) or name.lower() not in HEADER_NAMES:
            raise RequestError(f"headers: unknown field {name!r}")
        copies = value if isinstance(value, list) else [value]
        for copy in copies:
            if not isinstance(copy, str):
                raise RequestError(f"headers.{name}: must be text")
            # One line per copy: a line break must not start another field.
            flat = " ".join(copy.splitlines())
            lines.append(f"{name}: {flat}\r\n")
    return ("".join(lines) + "\r\n").encode("utf-8")
