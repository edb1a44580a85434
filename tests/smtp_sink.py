"""A real SMTP server on 127.0.0.1 (aiosmtpd) for tests: the upstream to relay to.

`Sink` records what it accepts and can be told how to answer: refuse a sender, some
recipients or a message, hang up, offer PIPELINING, ask for AUTH. `LoopbackController`
runs it on a port the system picks; `SinkServer` says where it runs and what it got.
"""

from __future__ import annotations

import asyncio
import threading
from base64 import b64decode
from collections.abc import Sequence
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
    ) -> None:
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
        if self.mail_reply:
            return self._refuse(server, self.mail_reply)
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
        if address in self.rcpt_replies:
            return self._refuse(server, self.rcpt_replies[address])
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        index = self.data_commands
        self.data_commands += 1
        if self.drop_on_data:
            server.transport.close()
            return "250 never seen"
        if index < len(self.data_replies) and self.data_replies[index]:
            return self.data_replies[index]
        if not self.reply.startswith("2"):
            return self.reply
        content = envelope.original_content
        assert isinstance(content, bytes)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), content)
            )
            self.mail_options.append(list(envelope.mail_options))
            self.peers.append(session.peer)
            self.secured.append(session.ssl is not None)
        if self.one_message_per_connection:
            # close() still flushes the 250 written right after this returns
            server.loop.call_soon(self._hang_up, server, None)
        if self.idle_goodbye:
            server.loop.call_later(0.1, self._hang_up, server, self.idle_goodbye)
        return self.reply

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
