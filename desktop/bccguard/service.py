"""The guard: wires proxy, check, held store and relay together, and emits events.

Every submission is checked; one that passes is relayed at once and the upstream's
answer goes back to the client. One that is held is stored durably first, then the
user is asked (through the events); the client gets its answer within the decision
timeout: the relay's reply, ``550 5.7.1`` for "don't send", or a ``451`` saying the
message waits in BccGuard. A decision made later sends the message exactly once, and
a client's retry of a decided message gets the decision's outcome, not a second copy.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from bccguard.adapters import paths
from bccguard.adapters.control_channel import ControlServer
from bccguard.adapters.heap import return_large_buffers_to_the_system
from bccguard.adapters.held_store import HeldStore
from bccguard.adapters.relay_reply import reply_for
from bccguard.adapters.secrets import SecretStore, ensure_local_secret
from bccguard.adapters.smtp_proxy import SmtpProxy, Submission
from bccguard.adapters.smtp_relay import SmtpRelay, TlsMode, UpstreamConfig
from bccguard.core.address_list import Address, normalise_addr
from bccguard.core.bcc_conversion import ToStyle, to_relay_form
from bccguard.core.decision_proof import HEADER, proof_key, verify_proof
from bccguard.core.header_block import without_fields
from bccguard.core.held import HeldMessage, HeldState, Resolution, dedup_key
from bccguard.core.incidents import (
    Incident,
    IncidentKind,
    IncidentLog,
    IncidentLogError,
)
from bccguard.core.message import read_message
from bccguard.core.policy import Action
from bccguard.core.settings import Settings
from bccguard.core.verdict import Verdict, check
from bccguard.events import (
    EventSink,
    GuardState,
    HeldUpdated,
    MessageHeld,
    MessageRelayed,
    StateChanged,
)

log = logging.getLogger(__name__)

# Seconds an upstream connection stays open for the next message (a burst of
# messages then costs one TLS handshake and login, not one each).
RELAY_KEEP_ALIVE = 20.0

DISCARD_REPLY = (
    "550 5.7.1 Not sent: you chose not to send it in BccGuard (your copy is still "
    "in your mail program)"
)


class GuardError(Exception):
    """A request the guard cannot carry out, with a message for the user."""


def account_password_key(account_name: str) -> str:
    """The secret-store key of an account's upstream password or token."""
    return f"account:{account_name}"


def account_relay(
    settings: Settings, secrets: SecretStore, mail_from: str, *, keep_alive: float = 0.0
) -> SmtpRelay:
    """The relay of the account that sends as ``mail_from`` (else the first one).

    Raises:
        GuardError: no account is configured.
    """
    account = settings.account_for(mail_from)
    if account is None:
        raise GuardError("no upstream account is configured (bccguard account add)")
    config = UpstreamConfig(
        host=account.smtp_host,
        port=account.smtp_port,
        tls=TlsMode(account.smtp_tls),
        username=account.smtp_username or None,  # empty: a relay without AUTH
        max_recipients=account.recipient_limit(),
    )
    key = account_password_key(account.name)
    return SmtpRelay(config, password=lambda: secrets.get(key), keep_alive=keep_alive)


class Guard:
    """The always-on guard: proxy + policy + held store + relay."""

    def __init__(
        self,
        home: Path,
        settings: Settings,
        secrets: SecretStore,
        events: EventSink,
        *,
        upstream: UpstreamConfig | None = None,
        incidents: IncidentLog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.home = home
        self.settings = settings
        self.secrets = secrets
        self.events = events
        self._upstream_override = upstream
        self.incidents = incidents
        self._clock = clock
        self.store = HeldStore(paths.held_dir(home))
        self._lock = threading.Lock()
        self._workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="bccguard")
        self._waiters: dict[str, list[asyncio.Future[str]]] = {}
        self._by_key: dict[str, str] = {h.key: h.id for h in self.store.all()}
        self._relays: dict[object, SmtpRelay] = {}
        self._paused_until = 0.0
        self._upstream_problem = ""  # why the upstream cannot be reached, if so
        self._state = GuardState.STOPPED
        self._secret = ensure_local_secret(secrets)
        self.proxy = SmtpProxy(
            self.submit,
            lambda: self._secret,
            port=settings.proxy.port,
            max_message_size=settings.proxy.max_message_size,
        )
        self._control = ControlServer(self._control_request, paths.control_file(home))

    # -- life cycle -------------------------------------------------------------

    @property
    def local_secret(self) -> str:
        """The password mail clients use to authenticate to the proxy."""
        return self._secret

    @property
    def state(self) -> GuardState:
        """What the guard is doing now."""
        return self._state

    def start(self) -> None:
        """Start the proxy and the control channel.

        Raises:
            ProxyError: the port is taken.
        """
        self._set_state(GuardState.STARTING)
        return_large_buffers_to_the_system()
        self.proxy.start()
        asyncio.run_coroutine_threadsafe(self._control.start(), self.proxy.loop).result(
            10
        )
        self._refresh_state()
        log.info("guard listening on 127.0.0.1:%d", self.proxy.port)

    def stop(self) -> None:
        """Stop listening; held messages stay in the store."""
        try:
            asyncio.run_coroutine_threadsafe(
                self._control.stop(), self.proxy.loop
            ).result(5)
        except (RuntimeError, TimeoutError, AttributeError):
            log.debug("control channel was not running")
        self.proxy.stop()
        self._workers.shutdown(wait=True, cancel_futures=False)
        with self._lock:
            relays, self._relays = list(self._relays.values()), {}
        for relay in relays:
            relay.close()
        self._set_state(GuardState.STOPPED)

    def pause(self, seconds: float) -> None:
        """Let everything pass for ``seconds`` (0 resumes)."""
        self._paused_until = self._clock() + seconds if seconds > 0 else 0.0
        self._refresh_state()

    @property
    def paused(self) -> bool:
        """True while a pause is in force."""
        return self._clock() < self._paused_until

    def _set_state(self, state: GuardState, detail: str = "") -> None:
        self._state = state
        self.events.emit(StateChanged(state, detail))

    def _refresh_state(self) -> None:
        waiting = [h for h in self.store.all() if h.state is HeldState.WAITING]
        if waiting:
            self._set_state(
                GuardState.ATTENTION, f"{len(waiting)} held message(s) wait"
            )
        elif self._upstream_problem:
            self._set_state(GuardState.ERROR, self._upstream_problem)
        elif self.paused:
            self._set_state(GuardState.PAUSED, "paused")
        else:
            self._set_state(GuardState.GUARDING)

    def _note_upstream(self, reply: str) -> None:
        """Show in the state that the upstream cannot be reached, until it is back."""
        problem = reply[4:] if reply.startswith(("421", "454")) else ""
        if problem != self._upstream_problem:
            self._upstream_problem = problem
            self._refresh_state()

    # -- the relay ----------------------------------------------------------------

    def _relay_for(self, mail_from: str) -> SmtpRelay:
        """The relay for ``mail_from``'s account, kept so its connection is reused."""
        key: object = self._upstream_override or self.settings.account_for(mail_from)
        with self._lock:
            relay = self._relays.get(key)
        if relay is not None:
            return relay
        if self._upstream_override is not None:
            relay = SmtpRelay(self._upstream_override, keep_alive=RELAY_KEEP_ALIVE)
        else:
            relay = account_relay(
                self.settings, self.secrets, mail_from, keep_alive=RELAY_KEEP_ALIVE
            )
        with self._lock:
            return self._relays.setdefault(key, relay)

    def send_direct(self, mail_from: str, recipients: list[str], data: bytes) -> str:
        """Relay a message BccGuard wrote itself (an apology); the upstream's reply."""
        sub = Submission(
            mail_from=mail_from,
            recipients=tuple(recipients),
            data=data,
            smtputf8=not data.isascii(),
            eight_bit=not data.isascii(),
            peer="bccguard",
        )
        return self._relay(sub, data, converted=False)

    def _relay(self, sub: Submission, data: bytes, *, converted: bool) -> str:
        """Relay ``data`` to the submission's envelope; the reply for the client."""
        message_id = read_message(data).message_id
        try:
            relay = self._relay_for(sub.mail_from)
        except GuardError as error:
            reply = f"451 4.3.5 BccGuard cannot send: {error}"
            self.events.emit(
                MessageRelayed(message_id, len(sub.recipients), False, reply)
            )
            return reply
        result = relay.send(
            sub.mail_from,
            sub.recipients,
            data,
            smtputf8=sub.smtputf8,
            eight_bit=sub.eight_bit,
        )
        reply = reply_for(result)
        self._note_upstream(reply)
        ok = reply.startswith("2") and not result.failed
        self.events.emit(
            MessageRelayed(
                message_id, len(sub.recipients), ok, reply, converted=converted
            )
        )
        if result.failed and result.delivered:
            log.warning(
                "relay of %s: %d delivered, %d failed",
                message_id,
                len(result.delivered),
                len(result.failed),
            )
        return reply

    # -- submissions (on the proxy's event loop) ---------------------------------

    async def submit(self, sub: Submission) -> str:
        """Check one submission and answer it (the proxy's DATA reply)."""
        loop = asyncio.get_running_loop()
        message = read_message(sub.data, envelope=sub.recipients)
        proof = message.header.first_text(HEADER)
        if message.header.all(HEADER):  # never leaves BccGuard, proven or not
            sub = replace(sub, data=without_fields(sub.data, message.header, HEADER))
        if self.paused:
            return await loop.run_in_executor(
                self._workers, lambda: self._relay(sub, sub.data, converted=False)
            )
        account = self.settings.account_for(sub.mail_from)
        policy = self.settings.base_policy(account).with_own(
            [Address(normalise_addr(sub.mail_from))] if sub.mail_from else []
        )
        verdict = check(message, policy)
        if verdict.held and proof and self._proven(proof, verdict):
            return await loop.run_in_executor(
                self._workers, lambda: self._relay_decided_in_thunderbird(sub, verdict)
            )
        if not verdict.held:
            return await loop.run_in_executor(
                self._workers, lambda: self._relay(sub, sub.data, converted=False)
            )
        held = await loop.run_in_executor(self._workers, self._hold, sub, verdict)
        if held.state.final:
            return self._reply_for_final(held)
        automatic = {Action.CONVERT: Resolution.BCC, Action.BLOCK: Resolution.DISCARD}
        resolution = held.resolution if held.state is HeldState.FAILED else None
        if held.state is HeldState.WAITING:
            resolution = automatic.get(policy.action)
        if resolution is not None:
            done = await loop.run_in_executor(
                self._workers, lambda: self._execute(held.id, resolution)
            )
            if policy.action is Action.BLOCK and done.state is HeldState.DISCARDED:
                return (
                    f"550 5.7.1 Not sent: BccGuard's policy blocks mail that shows "
                    f"{held.exposed_count} recipients to each other; use Bcc"
                )
            return _reply_of(done)
        return await self._wait_for_decision(held)

    def _proven(self, proof: str, verdict: Verdict) -> bool:
        """True when Thunderbird's "send as is" proof is for exactly this message."""
        visible = [a.addr for a in verdict.message.visible]
        ok = verify_proof(proof, proof_key(self._secret), visible, self._clock())
        if not ok:
            log.warning("ignored a decision proof that does not match its message")
        return ok

    def _relay_decided_in_thunderbird(self, sub: Submission, verdict: Verdict) -> str:
        """The user already chose "send as is" in Thunderbird: don't ask twice."""
        message = verdict.message
        if self.incidents is not None:
            try:
                self.incidents.record(
                    Incident.new(
                        IncidentKind.SENT_AS_IS,
                        self._clock(),
                        exposed=[a.addr for a in verdict.exposed],
                        message_id=message.message_id,
                        subject=message.subject,
                        sender=sub.mail_from,
                        notes="sent as is: chosen in Thunderbird",
                    )
                )
            except IncidentLogError:
                log.exception("could not record %s", message.message_id)
        return self._relay(sub, sub.data, converted=False)

    def _hold(self, sub: Submission, verdict: Verdict) -> HeldMessage:
        """Store a held submission durably (or find the earlier copy of a retry)."""
        key = dedup_key(verdict.message.message_id, sub.recipients, sub.data)
        with self._lock:
            known = self._by_key.get(key)
            existing = self.store.get(known) if known else None
            if existing is not None:
                log.info("held %s: the client sent it again", existing.id)
                return existing
            held = HeldMessage.from_verdict(
                held_id=HeldStore.new_id(),
                received_at=self._clock(),
                mail_from=sub.mail_from,
                recipients=sub.recipients,
                data=sub.data,
                verdict=verdict,
            )
            self.store.add(held, sub.data)
            self._by_key[held.key] = held.id
        self._record_incident(held)
        self.events.emit(MessageHeld(held))
        self._refresh_state()
        return held

    async def _wait_for_decision(self, held: HeldMessage) -> str:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[str] = loop.create_future()
        with self._lock:
            current = self.store.get(held.id)
            if current is not None and current.state.final:
                return self._reply_for_final(current)
            self._waiters.setdefault(held.id, []).append(waiter)
        try:
            return await asyncio.wait_for(waiter, self.settings.proxy.decision_timeout)
        except TimeoutError:
            return (
                f"451 4.7.0 Held by BccGuard: {held.exposed_count} recipients would "
                f"see each other. It waits in BccGuard as {held.id}: decide there"
            )
        finally:
            with self._lock:
                waiting = self._waiters.get(held.id, [])
                if waiter in waiting:
                    waiting.remove(waiter)

    @staticmethod
    def _reply_for_final(held: HeldMessage) -> str:
        """The answer to a client that sends an already decided message again."""
        if held.state is HeldState.DISCARDED:
            return DISCARD_REPLY
        return f"250 2.0.0 Already sent by BccGuard ({held.id}): {held.outcome}"

    # -- decisions (any thread) ---------------------------------------------------

    def decide(self, held_id: str, resolution: Resolution) -> Future[HeldMessage]:
        """Carry out the user's decision on a held message, off the caller's thread."""
        return self._workers.submit(self._execute, held_id, resolution)

    def _execute(self, held_id: str, resolution: Resolution) -> HeldMessage:
        with self._lock:
            held = self.store.get(held_id)
            if held is None:
                raise GuardError(f"no held message {held_id}")
            if held.state not in (HeldState.WAITING, HeldState.FAILED):
                raise GuardError(
                    f"held message {held_id} is already {held.state.value}"
                )
            held = held.decided(resolution, self._clock())
            self.store.update(held)
        self.events.emit(HeldUpdated(held))
        if resolution is Resolution.DISCARD:
            held = held.finished(HeldState.DISCARDED, "not sent")
        else:
            reply, state = self._send_held(held, resolution)
            held = held.finished(state, reply)
        reply = _reply_of(held)
        with self._lock:
            self.store.update(held)
            waiters = self._waiters.pop(held_id, [])
        self._record_outcome(held)
        for waiter in waiters:
            waiter.get_loop().call_soon_threadsafe(_resolve, waiter, reply)
        self.events.emit(HeldUpdated(held))
        self._refresh_state()
        return held

    def _send_held(
        self, held: HeldMessage, resolution: Resolution
    ) -> tuple[str, HeldState]:
        data = self.store.data(held.id)
        converted = resolution is Resolution.BCC
        if converted:
            data = to_relay_form(data, ToStyle(self.settings.policy.to_style))
        sub = Submission(
            mail_from=held.mail_from,
            recipients=held.recipients,
            data=data,
            smtputf8=not data.isascii(),
            eight_bit=not data.isascii(),
            peer="held",
        )
        reply = self._relay(sub, data, converted=converted)
        if reply.startswith("250") and "failed upstream" in reply:
            return reply, HeldState.PARTLY_SENT
        return reply, HeldState.SENT if reply.startswith("2") else HeldState.FAILED

    # -- the incident record ------------------------------------------------------

    def _record_incident(self, held: HeldMessage) -> None:
        """Every hold is an incident (a near miss until it is sent as it is)."""
        if self.incidents is None:
            return
        try:
            self.incidents.record(
                Incident.from_held(held, IncidentKind.HELD, self._clock())
            )
        except IncidentLogError:
            log.exception("could not record the hold of %s", held.id)

    def _record_outcome(self, held: HeldMessage) -> None:
        if self.incidents is None or held.resolution is None:
            return
        kinds = {
            Resolution.BCC: IncidentKind.CONVERTED,
            Resolution.AS_IS: IncidentKind.SENT_AS_IS,
            Resolution.DISCARD: IncidentKind.DISCARDED,
        }
        ok = held.state in (HeldState.SENT, HeldState.PARTLY_SENT, HeldState.DISCARDED)
        try:
            found = [
                i
                for i in self.incidents.find_by_message_id(held.message_id)
                if i.held_id == held.id
            ]
            if not found:
                return
            self.incidents.add_action(
                found[-1].id,
                held.resolution.value if ok else f"{held.resolution.value} failed",
                self._clock(),
                held.outcome,
                kind=kinds[held.resolution] if ok else None,
            )
        except IncidentLogError:
            log.exception("could not record the outcome of %s", held.id)

    # -- the control channel -------------------------------------------------------

    async def _control_request(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "status":
            return {"ok": True, "state": self._state.value, "port": self.proxy.port}
        if op == "list":
            return {"ok": True, "held": [h.to_json() for h in self.store.all()]}
        if op == "decide":
            try:
                resolution = Resolution(str(request.get("resolution")))
            except ValueError:
                return {
                    "ok": False,
                    "error": "resolution must be bcc, as-is or discard",
                }
            future = self.decide(str(request.get("id", "")), resolution)
            try:
                held = await asyncio.wrap_future(future)
            except GuardError as error:
                return {"ok": False, "error": str(error)}
            return {"ok": True, "held": held.to_json()}
        if op == "pause":
            self.pause(float(request.get("seconds", 0)))
            return {"ok": True, "state": self._state.value}
        return {"ok": False, "error": f"unknown request {op!r}"}


def _reply_of(held: HeldMessage) -> str:
    """The reply for the client waiting on a decision just carried out."""
    return DISCARD_REPLY if held.state is HeldState.DISCARDED else held.outcome


def _resolve(waiter: asyncio.Future[str], reply: str) -> None:
    if not waiter.done():
        waiter.set_result(reply)
