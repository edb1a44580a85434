"""A real SMTP server on 127.0.0.1 (aiosmtpd) for tests: the upstream to relay to.

`Sink` records what it accepts and can be told how to answer: refuse a sender, some
recipients or a message, hang up, offer PIPELINING, ask for AUTH; be slow at RCPT,
before the 354 or before confirming the final dot; hang up in the middle of DATA or
right after the dot (keeping the message: the "may have been sent" case). Its options
are plain attributes read at each command, so a test can change the script while a
client is connected (setting a delay to 0 also ends a wait already under way).
`LoopbackController` runs it on a port the system picks; `SinkServer` says where it
runs and what it got.
"""

from __future__ import annotations

import asyncio
import threading
import time
from base64 import b64decode
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bccguard.adapters.demo_sink import OffersPipelining
from bccguard.adapters.smtp_relay import TlsMode, UpstreamConfig


class Received(NamedTuple):
    """One message as the sink got it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class Sink(OffersPipelining):
    """An upstream that records every message; its replies can be scripted.

    Args:
        mail_reply: Answer every MAIL FROM with this instead of 250.
        rcpt_replies: Answer RCPT TO for these addresses with the given reply.
        data_replies: Answer the n-th DATA with the n-th reply (None: as `reply`).
        reply: Answer DATA with this; the message is kept only when it is a 2xx.
        drop_on_data: Close the connection instead of answering DATA.
        one_message_per_connection: Close the connection after each message.
        hang_up_on_refusal: Close the connection right after refusing a sender
            or a recipient (the refusal itself still goes out).
        idle_goodbye: After each message, say this (a 421) and hang up a moment
            later, as a server does when a kept connection idles too long.
        pipelining: Advertise PIPELINING (RFC 2920).
        users: Passwords for AUTH PLAIN/LOGIN; tokens: tokens for XOAUTH2.
        rcpt_sequences: For these addresses, answer their successive RCPT commands
            with the replies in turn (None: accept); once a list is used up, the
            address is answered as usual (``rcpt_replies``, else accepted).
        delay_rcpt: Seconds before answering each RCPT.
        delay_data: Seconds before answering DATA with 354.
        delay_final: Seconds before answering the final dot; the message is kept
            as soon as the dot is read (a server slow to confirm, not to store).
        hang_up_mid_data: Read this many lines of the message after the 354, then
            close the connection (nothing is kept); None: read it all.
        hang_up_after_dot: Keep the message, then close without replying.
        data_faults: One entry is taken per DATA command (after ``data_replies``
            are used up) and applies to that message only: ``"hang-up-mid-data"``,
            ``"hang-up-after-dot"``, ``"slow-final"`` (wait ``slow_final`` seconds
            before confirming), ``"drop"`` (close instead of the 354), None (as
            usual), or a reply to the final dot such as ``"451 4.3.0 try later"``
            (not kept unless it is a 2xx).
        slow_final: The wait of a ``"slow-final"`` fault, and of a
            ``"slow-data"`` one (the same wait before the 354).
        rate_limit: (messages, seconds): a MAIL after that many messages kept
            within the last so many seconds is answered ``421 4.7.0 Try again
            later, closing connection.`` and the connection closed, as Gmail does.
        daily_quota: After this many messages kept, every RCPT is answered
            ``550 5.4.5 Daily user sending quota exceeded.`` (Gmail's words).
    """

    def __init__(
        self,
        *,
        mail_reply: str | None = None,
        rcpt_replies: dict[str, str] | None = None,
        data_replies: Sequence[str | None] = (),
        reply: str = "250 2.0.0 OK queued",
        drop_on_data: bool = False,
        one_message_per_connection: bool = False,
        hang_up_on_refusal: bool = False,
        idle_goodbye: str | None = None,
        pipelining: bool = False,
        users: dict[str, str] | None = None,
        tokens: dict[str, str] | None = None,
        rcpt_sequences: dict[str, Sequence[str | None]] | None = None,
        delay_rcpt: float = 0.0,
        delay_data: float = 0.0,
        delay_final: float = 0.0,
        hang_up_mid_data: int | None = None,
        hang_up_after_dot: bool = False,
        data_faults: Iterable[str | None] = (),
        slow_final: float = 1.0,
        rate_limit: tuple[int, float] | None = None,
        daily_quota: int | None = None,
    ) -> None:
        self.rate_limit = rate_limit
        self.daily_quota = daily_quota
        self.kept_at: list[float] = []  # when each message was kept (monotonic)
        self.throttled = 0  # MAIL commands refused by the rate limit
        self.over_quota = 0  # MAIL commands refused by the daily quota
        self.mail_reply = mail_reply
        self.rcpt_replies = rcpt_replies or {}
        self.data_replies = list(data_replies)
        self.reply = reply
        self.lock = threading.Lock()
        self.drop_on_data = drop_on_data
        self.one_message_per_connection = one_message_per_connection
        self.hang_up_on_refusal = hang_up_on_refusal
        self.idle_goodbye = idle_goodbye
        self.pipelining = pipelining
        self.users = users or {}
        self.tokens = tokens or {}
        self.received: list[Received] = []
        self.mail_options: list[list[str]] = []
        self.peers: list[Any] = []
        self.secured: list[bool] = []
        self.logins: list[tuple[str, str, str]] = []
        self.data_commands = 0
        self.noops = 0
        self.hang_ups = 0  # connections closed after a message
        # Per MAIL: were the RCPT commands already waiting when MAIL was read?
        self.pipelined: list[bool] = []
        self.rcpt_sequences: dict[str, list[str | None]] = {
            address: list(replies)
            for address, replies in (rcpt_sequences or {}).items()
        }
        self.delay_rcpt = delay_rcpt
        self.delay_data = delay_data
        self.delay_final = delay_final
        self.hang_up_mid_data = hang_up_mid_data
        self.hang_up_after_dot = hang_up_after_dot
        self.data_faults: deque[str | None] = deque(data_faults)
        self.slow_final = slow_final
        # What happened, in order: (phase, detail) with phases "mail", "rcpt"
        # (detail: the address), "data" (the DATA command), "dot" (the final dot
        # read), "kept" (detail: the recipients), "replied" (detail: the reply to
        # the dot), "hung-up" (detail: when).
        self.events: list[tuple[str, str]] = []
        self.rcpt_log: list[tuple[str, str]] = []  # (address, reply) per RCPT
        self._changed = threading.Condition()

    async def handle_NOOP(
        self, server: SMTP, session: Session, envelope: Envelope, arg: str
    ) -> str:
        self.noops += 1
        return "250 OK"

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        waiting = bytes(server._reader._buffer)  # what the client already sent
        self.pipelined.append(b"RCPT TO:" in waiting.upper())
        self._note("mail", address)
        if self.mail_reply:
            return self._refuse(server, self.mail_reply)
        limited = self._rate_reply()
        if limited is not None:
            server.transport.write(f"{limited}\r\n".encode())
            server.transport.close()
            return limited
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        self._note("rcpt", address)
        await self._wait(server, lambda: self.delay_rcpt)
        scripted = self.rcpt_sequences.get(address)
        reply = scripted.pop(0) if scripted else None
        reply = reply or self._quota_reply()
        if reply is None:
            reply = self.rcpt_replies.get(address)
        self.rcpt_log.append((address, reply or "250 OK"))
        if reply is not None:
            return self._refuse(server, reply)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        index = self.data_commands
        self.data_commands += 1
        self._note("dot", "")
        if self.drop_on_data:
            server.transport.close()
            self._note("hung-up", "on data")
            return "250 never seen"
        scripted = self.data_replies[index] if index < len(self.data_replies) else None
        if scripted:
            return self._replied(scripted)
        fault = getattr(server, "sink_fault", None)
        if fault is not None and fault[:1].isdigit() and not fault.startswith("2"):
            return self._replied(fault)
        if not self.reply.startswith("2"):
            return self._replied(self.reply)
        content = envelope.original_content
        assert isinstance(content, bytes)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), content)
            )
            self.kept_at.append(time.monotonic())
            self.mail_options.append(list(envelope.mail_options))
            self.peers.append(session.peer)
            self.secured.append(session.ssl is not None)
        self._note("kept", ",".join(envelope.rcpt_tos))
        if self.hang_up_after_dot or fault == "hang-up-after-dot":
            _close(server)
            self._note("hung-up", "after dot")
            return "250 never seen"
        slow = fault == "slow-final"  # read at each look: a change ends it
        await self._wait(
            server, lambda: max(self.delay_final, self.slow_final if slow else 0.0)
        )
        if fault is not None and fault.startswith("2"):
            return self._replied(fault)
        if self.one_message_per_connection:
            # close() still flushes the 250 written right after this returns
            server.loop.call_soon(self._hang_up, server, None)
        if self.idle_goodbye:
            server.loop.call_later(0.1, self._hang_up, server, self.idle_goodbye)
        return self._replied(self.reply)

    def _quota_reply(self) -> str | None:
        """Gmail's refusal once the daily quota is used up, else None."""
        with self.lock:
            if self.daily_quota is not None and len(self.received) >= self.daily_quota:
                self.over_quota += 1
                return "550 5.4.5 Daily user sending quota exceeded."
        return None

    def _rate_reply(self) -> str | None:
        """Gmail's refusal when messages come too fast, else None."""
        with self.lock:
            if self.rate_limit is not None:
                most, seconds = self.rate_limit
                now = time.monotonic()
                recent = [t for t in self.kept_at if now - t < seconds]
                if len(recent) >= most:
                    self.throttled += 1
                    return "421 4.7.0 Try again later, closing connection."
        return None

    # -- faults and what happened -----------------------------------------------

    async def before_data(self, server: SMTP) -> str | None:
        """Called by `LoopbackController`'s server at DATA, before the 354.

        Returns:
            The fault for this message (see ``data_faults``), or None.
        """
        self._note("data", "")
        fault = self.data_faults.popleft() if self.data_faults else None
        slow = fault == "slow-data"
        await self._wait(
            server, lambda: max(self.delay_data, self.slow_final if slow else 0.0)
        )
        return fault

    def lines_before_hang_up(self, fault: str | None) -> int | None:
        """How many lines of the message to read before hanging up, if so."""
        if fault == "hang-up-mid-data":
            return 2
        return self.hang_up_mid_data

    async def _wait(self, server: SMTP, seconds: Callable[[], float]) -> None:
        """Wait ``seconds()`` from now, read again and again: a change applies at
        once. Ends early when the client hangs up."""
        start = time.monotonic()
        while time.monotonic() - start < seconds():
            transport = server.transport
            if transport is None or transport.is_closing():
                return
            await asyncio.sleep(0.02)

    def _note(self, phase: str, detail: str) -> None:
        with self._changed:
            self.events.append((phase, detail))
            self._changed.notify_all()

    def _replied(self, reply: str) -> str:
        self._note("replied", reply)
        return reply

    def phase_count(self, phase: str) -> int:
        """How many times ``phase`` happened so far (see ``events``)."""
        with self._changed:
            return sum(1 for p, _ in self.events if p == phase)

    def wait_phase(self, phase: str, count: int = 1, timeout: float = 30.0) -> None:
        """Until ``phase`` has happened ``count`` times in all.

        Raises:
            AssertionError: not within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(1 for p, _ in self.events if p == phase) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the sink did not see {phase!r} {count} time(s) in "
                        f"{timeout:g} s; it saw {self.events[-5:]}"
                    )
                self._changed.wait(left)

    def copies(self) -> Counter[str]:
        """How many messages each recipient got (over every message kept)."""
        with self.lock:
            return Counter(r for got in self.received for r in got.rcpt_tos)

    def calm(self) -> None:
        """No more delays or hang-ups: every wait under way ends now."""
        self.delay_rcpt = self.delay_data = self.delay_final = 0.0
        self.hang_up_mid_data = None
        self.hang_up_after_dot = False
        self.data_faults.clear()

    def _refuse(self, server: SMTP, reply: str) -> str:
        if self.hang_up_on_refusal:
            # Say it and hang up at once: commands the client pipelined after
            # this one get no answer (aiosmtpd's own reply goes nowhere).
            server.transport.write(f"{reply}\r\n".encode())
            server.transport.close()
        return reply

    def _hang_up(self, server: SMTP, goodbye: str | None) -> None:
        if goodbye:
            server.transport.write(f"{goodbye}\r\n".encode())
        server.transport.close()
        self.hang_ups += 1

    def authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        """aiosmtpd authenticator for PLAIN and LOGIN."""
        assert isinstance(auth_data, LoginPassword)
        login = auth_data.login.decode()
        password = auth_data.password.decode()
        self.logins.append((mechanism, login, password))
        ok = self.users.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2 as Gmail and Exchange Online speak it."""
        if len(args) == 2:
            blob = b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False)
            blob = answer
        fields = dict(
            part.split("=", 1) for part in blob.decode().split("\x01") if part
        )
        login = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        self.logins.append(("XOAUTH2", login, token))
        if self.tokens.get(login) == token:
            return AuthResult(success=True, auth_data=login)
        return AuthResult(
            success=False,
            handled=False,
            message="535 5.7.8 Username and Password not accepted",
        )


@dataclass
class SinkServer:
    """A running upstream: where it listens and what it got."""

    host: str
    port: int
    handler: Sink
    tls: TlsMode = TlsMode.NONE
    ca_file: str | None = None
    timeout: float = 5.0  # what `upstream()` gives the relay

    @property
    def received(self) -> list[Received]:
        """Every (mail_from, rcpt_tos, data) accepted so far."""
        return self.handler.received

    def upstream(self, **overrides: Any) -> UpstreamConfig:
        """An `UpstreamConfig` pointing at this server."""
        settings: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "tls": self.tls,
            "ca_file": self.ca_file,
            "timeout": self.timeout,
        }
        settings.update(overrides)
        return UpstreamConfig(**settings)


class LoopbackController(Controller):
    """aiosmtpd's Controller bound to 127.0.0.1 on a port the OS picks."""

    def __init__(self, handler: Any, **smtp_kwargs: Any) -> None:
        super().__init__(
            handler,
            hostname="127.0.0.1",
            port=0,
            server_hostname="sink.localhost",
            **smtp_kwargs,
        )

    def factory(self) -> SMTP:
        return _ScriptedSMTP(self.handler, **self.SMTP_kwargs)

    def stop(self, no_assert: bool = False) -> None:
        calm = getattr(self.handler, "calm", None)
        if calm is not None:  # let waits under way end before the loop stops
            calm()
        super().stop(no_assert=no_assert)

    def _create_server(self) -> Any:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(
            self._factory_invoker,
            host=self.hostname,
            port=0,
            ssl=self.ssl_context,
        )
        self.port = server.sockets[0].getsockname()[1]
        return server


def _close(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.close()


class _ScriptedSMTP(SMTP):
    """aiosmtpd's server with the `Sink`'s hooks around DATA: a wait before the
    354, a hang-up in the middle of the message, a fault for one message."""

    sink_fault: str | None = None

    async def smtp_DATA(self, arg: str) -> None:
        before = getattr(self.event_handler, "before_data", None)
        envelope = self.envelope
        if before is None or arg or envelope is None or not envelope.rcpt_tos:
            await super().smtp_DATA(arg)
            return
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        self.sink_fault = await before(self)
        handler = self.event_handler
        if self.sink_fault == "drop":
            _close(self)
            handler._note("hung-up", "before 354")
            return
        lines = handler.lines_before_hang_up(self.sink_fault)
        if lines is None:
            try:
                await super().smtp_DATA(arg)
            finally:
                self.sink_fault = None
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        for _ in range(lines):
            line = await self._reader.readuntil(b"\r\n")
            if line == b".\r\n":
                break
        _close(self)
        handler._note("hung-up", "mid data")
