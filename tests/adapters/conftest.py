"""Real SMTP servers on 127.0.0.1 (aiosmtpd) and trustme certificates for them.

`sink`, `tls_sink`, `implicit_tls_sink`, `auth_sink` and `xoauth2_sink` are
running upstream servers; `sink_factory` starts more with scripted replies;
`closed_port` and `silent_port` are upstreams that refuse or never answer.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from bccguard.adapters.smtp_relay import TlsMode
from tests.smtp_sink import LoopbackController, Sink, SinkServer

USERNAME = "alice@example.com"
PASSWORD = "correct horse battery staple"
TOKEN = "ya29.a0-test-access-token"


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
