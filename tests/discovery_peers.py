"""Real peers for server discovery: an HTTPS server for autoconfig files (trustme
certificate) and a DNS server on 127.0.0.1 (dnspython builds its answers).

Import the fixtures into a test module: ``from tests.discovery_peers import
autoconfig_server, dns_server, discovery_ca  # noqa: F401``.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest
import trustme

from bccguard.adapters.autoconfig import Autoconfig


def autoconfig_xml(
    smtp: tuple[str, int, str] | None,
    imap: tuple[str, int, str] | None = None,
    *,
    auth: str = "password-cleartext",
    username: str = "%EMAILADDRESS%",
    extra_smtp: str = "",
) -> bytes:
    """A config-v1.1.xml file: (host, port, socketType) per server."""

    def server(kind: str, tag: str, spec: tuple[str, int, str]) -> str:
        host, port, socket_type = spec
        return (
            f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
            f"<socketType>{socket_type}</socketType><username>{username}</username>"
            f"<authentication>{auth}</authentication></{tag}>"
        )

    parts = [extra_smtp]
    if imap:
        parts.append(server("imap", "incomingServer", imap))
    if smtp:
        parts.append(server("smtp", "outgoingServer", smtp))
    return (
        '<?xml version="1.0"?><clientConfig version="1.1">'
        '<emailProvider id="test.example"><domain>test.example</domain>'
        "<displayName>Test Mail</displayName>"
        + "".join(parts)
        + '<documentation url="https://help.test.example/mail"/>'
        "</emailProvider></clientConfig>"
    ).encode()


@dataclass
class DiscoveryCa:
    """A CA for the test peers and the file clients trust."""

    ca: trustme.CA
    ca_file: str


@pytest.fixture(scope="session")
def discovery_ca(tmp_path_factory: pytest.TempPathFactory) -> DiscoveryCa:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("discovery-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return DiscoveryCa(ca, str(path))


@dataclass
class AutoconfigServer:
    """An HTTPS server on 127.0.0.1 that serves ``files`` by path, and logs requests.

    ``autoconfig()`` gives the lookup pointed at it: the first URL stands for
    ``https://autoconfig.DOMAIN/...``, the second for the domain's ``.well-known``.
    """

    port: int
    ca_file: str
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def urls(self) -> tuple[str, ...]:
        return (
            self.base
            + "/autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={email}",
            self.base + "/{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
        )

    def serve(self, domain: str, body: bytes, *, well_known: bool = False) -> None:
        path = (
            f"/{domain}/.well-known/autoconfig/mail/config-v1.1.xml"
            if well_known
            else f"/autoconfig.{domain}/mail/config-v1.1.xml"
        )
        self.files[path] = body

    def autoconfig(self, **options: object) -> Autoconfig:
        return Autoconfig(urls=self.urls(), ca_file=self.ca_file, timeout=5, **options)  # type: ignore[arg-type]


@contextmanager
def running_autoconfig(ca: DiscoveryCa) -> Iterator[AutoconfigServer]:
    """An :class:`AutoconfigServer` for the time of the ``with``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.ca.issue_cert("127.0.0.1").configure_cert(context)
    state = AutoconfigServer(0, ca.ca_file)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            location = state.redirects.get(self.path.split("?")[0])
            if location is not None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = state.files.get(self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def autoconfig_server(discovery_ca: DiscoveryCa) -> Iterator[AutoconfigServer]:
    with running_autoconfig(discovery_ca) as server:
        yield server


@dataclass
class DnsServer:
    """A DNS server on 127.0.0.1 (UDP) answering from ``zone``.

    ``zone`` maps (name, type) to record texts, e.g.
    ``("_submission._tcp.corp.example", "SRV"): ["0 1 587 mail.corp.example."]``;
    a name with no entry of any type is NXDOMAIN, other types get no answer.
    """

    port: int
    zone: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    questions: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, rdtype: str, *records: str) -> None:
        self.zone[(name.rstrip(".").lower(), rdtype)] = list(records)

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = 3.0
        return resolver

    def answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            name = question.name.to_text(omit_final_dot=True).lower()
            rdtype = dns.rdatatype.to_text(question.rdtype)
            self.questions.append((name, rdtype))
            records = self.zone.get((name, rdtype))
            if records:
                response.answer.append(
                    dns.rrset.from_text(question.name, 300, "IN", rdtype, *records)
                )
            elif not any(key[0] == name for key in self.zone):
                response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()


@contextmanager
def running_dns() -> Iterator[DnsServer]:
    """A :class:`DnsServer` for the time of the ``with``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    state = DnsServer(sock.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            sock.sendto(state.answer(wire), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(5)
        sock.close()


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    with running_dns() as server:
        yield server


def write_ca(path: Path, ca: DiscoveryCa) -> None:
    """Copy the test CA's certificate to ``path`` (for a subprocess)."""
    path.write_text(Path(ca.ca_file).read_text())


SIGN_IN_USER = "alice"  # Dovecot's user (tests/dovecot_server.py) and the sink's
SIGN_IN_PASSWORD = "secret"
SIGN_IN_EMAIL = "alice@corp.example"


@dataclass
class MailHost:
    """An AUTH-requiring SMTP server (STARTTLS, the discovery CA's certificate), a
    Dovecot, and corp.example's autoconfig file pointing at both."""

    smtp_port: int
    imap_port: int
    sink: object
    autoconfig: AutoconfigServer


@contextmanager
def running_mail_host(
    ca: DiscoveryCa, autoconfig: AutoconfigServer, imap_port: int
) -> Iterator[MailHost]:
    """The SMTP server of :class:`MailHost`, and the autoconfig file for it."""
    from tests.smtp_sink import LoopbackController, Sink

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.ca.issue_cert("127.0.0.1").configure_cert(context)
    handler = Sink(users={SIGN_IN_USER: SIGN_IN_PASSWORD})
    controller = LoopbackController(
        handler,
        tls_context=context,
        require_starttls=True,
        authenticator=handler.authenticate,
        auth_required=True,
    )
    controller.start()
    autoconfig.serve(
        "corp.example",
        autoconfig_xml(
            ("127.0.0.1", controller.port, "STARTTLS"),
            ("127.0.0.1", imap_port, "plain"),
            username=SIGN_IN_USER,
        ),
    )
    try:
        yield MailHost(controller.port, imap_port, handler, autoconfig)
    finally:
        controller.stop()


@pytest.fixture
def mail_host(
    discovery_ca: DiscoveryCa, autoconfig_server: AutoconfigServer, dovecot: object
) -> Iterator[MailHost]:
    port = dovecot.port  # type: ignore[attr-defined]
    with running_mail_host(discovery_ca, autoconfig_server, port) as host:
        yield host
