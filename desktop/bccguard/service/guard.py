"""The guard: the composition root that builds the hold engine, the per-account
relays, the proxy's submission desk and the control channel, for ``bccguard
serve`` and for the tray app alike.

It decides nothing itself: the submission desk checks, the engine keeps and
sends, the relays connect. It owns the life cycle and the state the tray shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from bccguard.adapters import paths
from bccguard.adapters.control_channel import ControlServer
from bccguard.adapters.heap import return_large_buffers_to_the_system
from bccguard.adapters.held_store import HeldStore
from bccguard.adapters.relay_reply import reply_for
from bccguard.adapters.secrets import SecretStore, ensure_local_secret
from bccguard.adapters.send_budget_log import SendBudgetLog
from bccguard.adapters.smtp_proxy import ProxyError, SmtpProxy
from bccguard.adapters.smtp_relay import UpstreamConfig
from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.core.incidents import IncidentLog
from bccguard.core.individual_copies import Greeting
from bccguard.core.message import read_message
from bccguard.core.one_by_one import resumed, with_options
from bccguard.core.phrase import nphrase
from bccguard.core.settings import Settings
from bccguard.events import (
    Event,
    EventSink,
    GuardState,
    HeldUpdated,
    MessageHeld,
    MessageRelayed,
    StateChanged,
)
from bccguard.service.control import ControlDesk
from bccguard.service.engine import HoldEngine, SentLookup
from bccguard.service.errors import (
    GuardError,
    GuardStartError,
    ListenFailure,
    ListenProblem,
)
from bccguard.service.incident_record import IncidentRecorder
from bccguard.service.individual_run import OneByOneSender
from bccguard.service.journal import PassJournal
from bccguard.service.relays import Relays
from bccguard.service.submission import SubmissionDesk

log = logging.getLogger(__name__)


class Guard:
    """The always-on guard: proxy, hold engine, relays and control channel."""

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
        sent_lookup: SentLookup | None = None,
    ) -> None:
        """Build the guard; nothing listens until :meth:`start`.

        Args:
            sent_lookup: Looks for a message that may have been sent in its
                account's Sent folder, before the user is asked.
        """
        self.home = home
        self._settings = settings
        self.secrets = secrets
        self.events = events
        self._sign_in_listeners: list[Callable[[str], None]] = []
        self.incidents = incidents
        self._clock = clock
        self._paused_until = 0.0
        self._upstream_problem = ""  # why the upstream cannot be reached, if so
        self._listen_failure: ListenFailure | None = (
            None  # why the proxy does not listen
        )
        self._state = GuardState.STOPPED
        self._secret = ensure_local_secret(secrets)
        self._watch = _StateWatch(self)
        # Recipients sent to over the last day, per account ("send one by one").
        self.sent_log = SendBudgetLog(home / "send-budget.jsonl", now=clock())
        self.relays = Relays(
            lambda: self._settings,
            secrets,
            upstream=upstream,
            sent_log=self.sent_log,
            clock=clock,
        )
        recorder = IncidentRecorder(incidents, clock)
        # Read-only here (tests and tools look at the disk); the engine writes it.
        self.store = HeldStore(paths.held_dir(home))
        self.engine = HoldEngine(
            self.store,
            self.relays,
            self._watch,
            lambda: self._settings,
            incidents=recorder,
            clock=clock,
            sent_lookup=sent_lookup,
        )
        self.one_by_one = OneByOneSender(
            self.engine,
            self.store,
            self.relays,
            self.sent_log,
            lambda: self._settings,
            clock=clock,
        )
        self.engine.one_by_one = self.one_by_one
        self.journal = PassJournal(paths.held_dir(home) / ".pass-journal")
        self.desk = SubmissionDesk(
            self.engine,
            self.relays,
            self.journal,
            self._watch,
            recorder,
            settings=lambda: self._settings,
            secret=lambda: self._secret,
            paused=lambda: self.paused,
            clock=clock,
        )
        self.countdowns = self.desk.countdowns
        self.proxy = self._proxy_on(settings.proxy.port)
        self._control = ControlServer(
            ControlDesk(
                self.engine,
                status=self._status,
                pause=self.pause,
                countdowns=self.countdowns,
                signed_in=self.signed_in,
            ),
            paths.control_file(home),
        )

    # -- life cycle -------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        """New settings (the settings window saved): new relays, and messages that
        waited for a sign-in are tried again."""
        self._settings = settings
        self.relays.forget()
        self.signed_in("")

    def on_signed_in(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(account)`` whenever an account has been signed in
        again (``""``: any account may have new credentials)."""
        self._sign_in_listeners.append(listener)

    def signed_in(self, account: str) -> None:
        """``account`` has new credentials (the sign-in page, `account sign-in`,
        new settings): the messages and the mailbox watchers that waited for
        them go on."""
        self.engine.signed_in(account)
        for listener in self._sign_in_listeners:
            listener(account)

    @property
    def local_secret(self) -> str:
        """The password mail clients use to authenticate to the proxy."""
        return self._secret

    @property
    def state(self) -> GuardState:
        """What the guard is doing now."""
        return self._state

    def start(self) -> None:
        """Recover what the last run left, then listen.

        Raises:
            GuardStartError: the proxy cannot listen (the port is taken, say); the
                engine runs all the same, and :meth:`listen_on` tries another port.
        """
        self._set_state(GuardState.STARTING)
        return_large_buffers_to_the_system()
        unfinished = self.journal.unfinished()
        self.journal.start()
        self.engine.start(unfinished)
        self._listen()

    def listen_on(self, port: int) -> None:
        """Listen on ``port`` instead, after a start that could not listen.

        Raises:
            GuardError: the guard listens already.
            GuardStartError: ``port`` cannot be listened on either.
        """
        if self.listening:
            raise GuardError("the guard is listening already")
        self.proxy = self._proxy_on(port)
        self._listen()

    @property
    def listening(self) -> bool:
        """True while mail programs can reach the proxy."""
        return self.proxy.listening

    @property
    def listen_failure(self) -> ListenFailure | None:
        """Why the proxy does not listen, after a start that failed (else None)."""
        return self._listen_failure

    def _proxy_on(self, port: int) -> SmtpProxy:
        return SmtpProxy(
            self.desk.submit,
            lambda: self._secret,
            port=port,
            max_message_size=self._settings.proxy.max_message_size,
        )

    def _listen(self) -> None:
        try:
            self.proxy.start()
        except ProxyError as error:
            log.warning("the proxy cannot listen: %s", error)
            self._listen_failure = ListenFailure(
                error.port, ListenProblem.of(error.errno)
            )
            self._refresh_state()
            raise GuardStartError(self._listen_failure) from error
        self._listen_failure = None
        asyncio.run_coroutine_threadsafe(self._control.start(), self.proxy.loop).result(
            10
        )
        self._refresh_state()
        log.info("guard listening on 127.0.0.1:%d", self.proxy.port)

    def stop(self) -> None:
        """Stop listening; held messages stay in the store (once; again: nothing)."""
        if self._state is GuardState.STOPPED:
            return
        if self._control.listening:  # only on the proxy's running loop
            try:
                asyncio.run_coroutine_threadsafe(
                    self._control.stop(), self.proxy.loop
                ).result(5)
            except TimeoutError:
                log.warning("the control channel did not stop in time")
        # Mail programs still waiting on a held message get a last answer, so that
        # their sessions end cleanly and they try again later.
        if self.engine.stop_waiting() and self.proxy.listening:
            with contextlib.suppress(RuntimeError, TimeoutError):
                asyncio.run_coroutine_threadsafe(
                    asyncio.sleep(0.2), self.proxy.loop
                ).result(2)
        self.proxy.stop()
        self.engine.stop()
        self.relays.close()
        self.journal.close()
        self.sent_log.close()
        self._set_state(GuardState.STOPPED)

    def pause(self, seconds: float) -> None:
        """Let everything pass for ``seconds`` (0 resumes)."""
        self._paused_until = self._clock() + seconds if seconds > 0 else 0.0
        self._refresh_state()

    @property
    def paused(self) -> bool:
        """True while a pause is in force."""
        return self._clock() < self._paused_until

    @property
    def paused_until(self) -> float:
        """When the pause ends (0: not paused)."""
        return self._paused_until if self.paused else 0.0

    # -- what the UI and the CLI ask ------------------------------------------------

    def held_messages(self) -> list[HeldMessage]:
        """Every message BccGuard keeps, oldest first (a live view)."""
        return self.engine.all()

    def decide(self, held_id: str, resolution: Resolution) -> Future[HeldMessage]:
        """Carry out the user's decision; the future resolves once it is done.

        A request that cannot be carried out comes back as the future's error.
        """
        try:
            # Sending one by one again resumes the run where it paused.
            prepare = resumed if resolution is Resolution.INDIVIDUALLY else None
            return self.engine.decide(held_id, resolution, prepare=prepare)
        except Exception as error:  # GuardError mostly: handed to the caller
            failed: Future[HeldMessage] = Future()
            failed.set_exception(error)
            return failed

    def send_one_by_one(
        self, held_id: str, greeting: Greeting | None
    ) -> Future[HeldMessage]:
        """Send ``held_id`` one copy per recipient, greeting each by name when
        ``greeting`` says so; the future resolves after the first copy."""
        try:
            return self.engine.decide(
                held_id,
                Resolution.INDIVIDUALLY,
                prepare=lambda record: with_options(record, greeting),
            )
        except Exception as error:  # GuardError mostly: handed to the caller
            failed: Future[HeldMessage] = Future()
            failed.set_exception(error)
            return failed

    def send_direct(self, mail_from: str, recipients: list[str], data: bytes) -> str:
        """Relay a message BccGuard wrote itself (an apology); the upstream's reply."""
        result = self.relays.send(mail_from, recipients, data)
        reply = reply_for(result)
        self.events.emit(
            MessageRelayed(
                read_message(data).message_id,
                len(recipients),
                result.ok,
                reply,
                upstream_problem=result.unreachable,
            )
        )
        return reply

    def _status(self) -> dict[str, Any]:
        return {
            "state": self._state.value,
            "port": self.proxy.port,
            "paused_until": self.paused_until,
        }

    # -- the state the tray shows -----------------------------------------------------

    def _set_state(self, state: GuardState, detail: str = "") -> None:
        self._state = state
        self.events.emit(StateChanged(state, detail))

    def _refresh_state(self) -> None:
        waiting = self.engine.waiting()
        signs = [h for h in self.engine.all() if h.state is HeldState.NEEDS_SIGN_IN]
        if self._listen_failure is not None:  # nothing reaches the guard: say so first
            self._set_state(GuardState.ERROR, self._listen_failure.sentence)
        elif waiting:
            self._set_state(
                GuardState.ATTENTION,
                nphrase(
                    "{n} held message waits",
                    "{n} held messages wait",
                    len(waiting),
                ),
            )
        elif signs:
            self._set_state(
                GuardState.ATTENTION,
                nphrase(
                    "{n} message waits for you to sign in again",
                    "{n} messages wait for you to sign in again",
                    len(signs),
                ),
            )
        elif self._upstream_problem:
            self._set_state(GuardState.ERROR, self._upstream_problem)
        elif self.paused:
            self._set_state(GuardState.PAUSED, "paused")
        else:
            self._set_state(GuardState.GUARDING)

    def _note(self, event: Event) -> None:
        """Follow the events that change what the tray should show."""
        match event:
            case MessageHeld() | HeldUpdated():
                if self._state is not GuardState.STARTING:
                    self._refresh_state()
                if isinstance(event, HeldUpdated):
                    self.countdowns.note(event.held)
            case MessageRelayed(upstream_problem=problem):
                if problem != self._upstream_problem:
                    self._upstream_problem = problem
                    self._refresh_state()


class _StateWatch:
    """Passes every event on, and lets the guard follow its state from them."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def emit(self, event: Event) -> None:
        """Pass ``event`` to the guard's listeners, then update the state."""
        self._guard.events.emit(event)
        self._guard._note(event)
