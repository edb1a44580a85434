"""Real SMTP servers on 127.0.0.1 (aiosmtpd) and trustme certificates for them.

`sink`, `tls_sink`, `implicit_tls_sink`, `auth_sink` and `xoauth2_sink` are
running upstream servers; `sink_factory` starts more with scripted replies;
`closed_port` and `silent_port` are upstreams that refuse or never answer.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from base64 import b64decode
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bccguard.adapters.demo_sink import OffersPipelining
from bccguard.adapters.smtp_relay import TlsMode, UpstreamConfig

USERNAME = "alice@example.com"
PASSWORD = "correct horse battery staple"
TOKEN = "ya29.a0-test-access-token"


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
        data_replies: Answer the n-th DATA with the n-th reply (None: accept).
        drop_on_data: Close the connection instead of answering DATA.
        one_message_per_connection: Close the connection after each message.
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
        drop_on_data: bool = False,
        one_message_per_connection: bool = False,
        idle_goodbye: str | None = None,
        pipelining: bool = False,
        users: dict[str, str] | None = None,
        tokens: dict[str, str] | None = None,
    ) -> None:
        self.mail_reply = mail_reply
        self.rcpt_replies = rcpt_replies or {}
        self.data_replies = list(data_replies)
        self.drop_on_data = drop_on_data
        self.one_message_per_connection = one_message_per_connection
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
            return self.mail_reply
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
            return self.rcpt_replies[address]
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
        content = envelope.original_content
        assert isinstance(content, bytes)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), content)
        )
        self.mail_options.append(list(envelope.mail_options))
        self.peers.append(session.peer)
        self.secured.append(session.ssl is not None)
        if self.one_message_per_connection:
            # close() still flushes the 250 written right after this returns
            server.loop.call_soon(server.transport.close)
        if self.idle_goodbye:
            server.loop.call_later(0.1, self._hang_up, server, self.idle_goodbye)
        return "250 2.0.0 OK queued"

    @staticmethod
    def _hang_up(server: SMTP, goodbye: str) -> None:
        server.transport.write(f"{goodbye}\r\n".encode())
        server.transport.close()

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
            "timeout": 5.0,
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


@dataclass(frozen=True)
class Certs:
    """A test CA, a server certificate for 127.0.0.1, and a CA that is wrong."""

    ca: trustme.CA
    ca_file: str
    wrong_ca_file: str
    server_context: ssl.SSLContext
    _folder: Path = field(repr=False)

    def server_context_for(self, *names: str) -> ssl.SSLContext:
        """A server context whose certificate names only `names`."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*names).configure_cert(context)
        return context


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """trustme certificates: the CA file clients trust, and a stranger CA."""
    folder = tmp_path_factory.mktemp("certs")
    ca = trustme.CA()
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    wrong_ca_file = folder / "wrong-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(wrong_ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost", "::1").configure_cert(context)
    return Certs(ca, str(ca_file), str(wrong_ca_file), context, folder)


@pytest.fixture
def sink_factory(certs: Certs) -> Iterator[Callable[..., SinkServer]]:
    """Start upstream servers: `start(handler, tls=..., **aiosmtpd_kwargs)`.

    `tls` is the mode clients should use: STARTTLS and IMPLICIT get the test
    certificate (STARTTLS required). All servers stop when the test ends.
    """
    controllers: list[LoopbackController] = []

    def start(
        handler: Sink | None = None,
        *,
        tls: TlsMode = TlsMode.NONE,
        **smtp_kwargs: Any,
    ) -> SinkServer:
        handler = handler if handler is not None else Sink()
        if tls is TlsMode.STARTTLS:
            smtp_kwargs.setdefault("tls_context", certs.server_context)
            smtp_kwargs.setdefault("require_starttls", True)
        elif tls is TlsMode.IMPLICIT:
            smtp_kwargs.setdefault("ssl_context", certs.server_context)
        controller = LoopbackController(handler, **smtp_kwargs)
        controller.start()
        controllers.append(controller)
        ca_file = None if tls is TlsMode.NONE else certs.ca_file
        return SinkServer("127.0.0.1", controller.port, handler, tls, ca_file)

    yield start
    for controller in reversed(controllers):
        controller.stop()


@pytest.fixture
def sink(sink_factory: Callable[..., SinkServer]) -> SinkServer:
    """A plain upstream (no TLS, no AUTH) that accepts everything."""
    return sink_factory()


@pytest.fixture
def tls_sink(sink_factory: Callable[..., SinkServer]) -> SinkServer:
    """An upstream that requires STARTTLS (trustme certificate)."""
    return sink_factory(tls=TlsMode.STARTTLS)


@pytest.fixture
def implicit_tls_sink(sink_factory: Callable[..., SinkServer]) -> SinkServer:
    """An upstream that speaks TLS from the first byte (like port 465)."""
    return sink_factory(tls=TlsMode.IMPLICIT)


@pytest.fixture
def auth_sink(sink_factory: Callable[..., SinkServer]) -> SinkServer:
    """A STARTTLS upstream that requires AUTH: USERNAME / PASSWORD."""
    handler = Sink(users={USERNAME: PASSWORD})
    return sink_factory(
        handler,
        tls=TlsMode.STARTTLS,
        authenticator=handler.authenticate,
        auth_required=True,
    )


@pytest.fixture
def xoauth2_sink(sink_factory: Callable[..., SinkServer]) -> SinkServer:
    """A STARTTLS upstream that requires AUTH XOAUTH2: USERNAME / TOKEN."""
    handler = Sink(tokens={USERNAME: TOKEN})
    return sink_factory(
        handler,
        tls=TlsMode.STARTTLS,
        authenticator=handler.authenticate,
        auth_required=True,
        auth_exclude_mechanism=["PLAIN", "LOGIN"],
    )


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]
