"""Bare CR and bare LF in DATA (SMTP smuggling): what the proxy relays has only CRLF
line ends, a dot that is content is kept, and an end-of-data lookalike is refused.

The client here writes raw bytes to a socket: smtplib would fix the line ends itself.
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.smtp_proxy import _LoopbackSMTP
from bccguard.adapters.smtp_relay import TlsMode, UpstreamConfig
from bccguard.core.settings import ProxySettings, Settings
from bccguard.service import Guard
from tests.postfix_server import available, postfix_relay
from tests.smtp_sink import SinkServer
from tests.support import EventLog, MemorySecrets, wait_for

HEAD = (
    b"From: boss@example.com\r\nTo: team@example.com\r\nSubject: line ends\r\n"
    b"Message-ID: <line-ends@example.com>\r\n\r\n"
)
BARE = re.compile(rb"\r(?!\n)|(?<!\r)\n")


class RawClient:
    """An SMTP client that sends exactly the bytes it is given."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith("220")

    def reply(self) -> str:
        """One (possibly multi-line) reply; its last line."""
        while True:
            line = self.file.readline().decode()
            assert line, "the proxy closed the connection"
            if line[3:4] != "-":
                return line.rstrip("\r\n")

    def command(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def login(self, secret: str) -> None:
        assert self.command("EHLO client.example").startswith("250")
        token = base64.b64encode(f"\0user\0{secret}".encode()).decode()
        assert self.command(f"AUTH PLAIN {token}").startswith("235")

    def send(self, body: bytes, end: bytes = b"\r\n.\r\n") -> str:
        """One message whose DATA is HEAD + `body` + `end`, as raw bytes."""
        assert self.command("MAIL FROM:<boss@example.com>").startswith("250")
        assert self.command("RCPT TO:<team@example.com>").startswith("250")
        assert self.command("DATA").startswith("354")
        self.sock.sendall(HEAD + body + end)
        return self.reply()

    def close(self) -> None:
        try:
            self.command("QUIT")
        finally:
            self.file.close()
            self.sock.close()


@pytest.fixture
def client(guard: Guard) -> Iterator[RawClient]:
    raw = RawClient(guard.proxy.port)
    raw.login(guard.local_secret)
    yield raw
    raw.close()


def body_of(data: bytes) -> bytes:
    assert data.startswith(HEAD), data[:200]
    return data[len(HEAD) :]


# (what the client sends after HEAD, what the upstream must receive after HEAD)
NORMALISED = [
    pytest.param(b"one\ntwo\nthree", b"one\r\ntwo\r\nthree\r\n", id="bare-LF"),
    pytest.param(b"one\rtwo\rthree", b"one\r\ntwo\r\nthree\r\n", id="bare-CR"),
    pytest.param(b"one\r\rtwo", b"one\r\n\r\ntwo\r\n", id="CR-before-CRLF"),
    pytest.param(b"mixed\n\r\nends\r", b"mixed\r\n\r\nends\r\n\r\n", id="mixed"),
    # A dot after a bare line end is content: the client did not stuff it.
    pytest.param(b"a\n.b\r.c", b"a\r\n.b\r\n.c\r\n", id="dot-after-bare"),
    pytest.param(b"a\n..\n", b"a\r\n..\r\n\r\n", id="two-dots-after-bare-LF"),
    # A dot at the start of a real CRLF line is stuffing, whatever ends the line.
    pytest.param(b"..x\ny", b".x\r\ny\r\n", id="stuffed-dot-then-bare-LF"),
    pytest.param(b"..\nafter", b".\r\nafter\r\n", id="stuffed-lone-dot-bare-LF"),
]


@pytest.mark.parametrize(("sent", "relayed"), NORMALISED)
def test_bare_line_ends_are_relayed_as_crlf(
    client: RawClient, upstream: SinkServer, sent: bytes, relayed: bytes
) -> None:
    assert client.send(sent).startswith("250")

    (received,) = upstream.received
    assert BARE.search(received.data) is None
    assert body_of(received.data) == relayed


def test_ordinary_dot_stuffed_lines_arrive_as_written(
    client: RawClient, upstream: SinkServer
) -> None:
    # Stuffed lines between CRLFs, and the same next to bare line ends.
    sent = b"..one\r\n...two\r\n..\r\nthree.\r\n..four\nfive\r\n..six\r.seven"
    assert client.send(sent).startswith("250")

    (received,) = upstream.received
    assert body_of(received.data) == (
        b".one\r\n..two\r\n.\r\nthree.\r\n.four\r\nfive\r\n.six\r\n.seven\r\n"
    )


def test_a_bare_lf_before_the_end_mark_is_one_more_line_end(
    client: RawClient, upstream: SinkServer
) -> None:
    assert client.send(b"last line\n").startswith("250")

    (received,) = upstream.received
    assert body_of(received.data) == b"last line\r\n\r\n"


LOOKALIKES = [
    pytest.param(b"a\r.\r\nb", id="CR.CRLF"),
    pytest.param(b"a\n.\nb", id="LF.LF"),
    pytest.param(b"a\r\n.\nb", id="CRLF.LF"),
    pytest.param(b"a\n.\r\nb", id="LF.CRLF"),
    pytest.param(b"a\r\n.\rb", id="CRLF.CR"),
    pytest.param(b"a\r.\rb", id="CR.CR"),
]


@pytest.mark.parametrize("sent", LOOKALIKES)
def test_an_end_of_data_lookalike_is_refused_and_the_session_stays_in_step(
    client: RawClient, upstream: SinkServer, sent: bytes
) -> None:
    # What follows the lookalike looks like commands: it must be read as data.
    smuggled = b"\r\nMAIL FROM:<x@evil.example>\r\nRCPT TO:<y@example.net>\r\nDATA"
    reply = client.send(sent + smuggled)

    assert reply.startswith("550 5.6.0 ")
    assert "CRLF" in reply and "." in reply
    assert upstream.received == []
    # The same connection goes on: the next message is read from its first line.
    assert client.command("NOOP").startswith("250")
    assert client.send(b"clean").startswith("250")
    (received,) = upstream.received
    assert body_of(received.data) == b"clean\r\n"
    assert received.rcpt_tos == ["team@example.com"]


def test_a_large_message_with_bare_line_ends_is_relayed_whole(
    client: RawClient, upstream: SinkServer
) -> None:
    lines = [b"%06d " % n + b"x" * 70 for n in range(20_000)]  # about 1.5 MB
    assert client.send(b"\n".join(lines)).startswith("250")

    (received,) = upstream.received
    assert body_of(received.data) == b"\r\n".join(lines) + b"\r\n"


# -- a real Postfix that refuses bare LF ------------------------------------------

needs_postfix = pytest.mark.skipif(available() is not None, reason=str(available()))
# Postfix 3.7.10 and later read "yes" as "normalize" (bare LF taken as CRLF, as
# the proxy does); "reject" refuses any bare LF: the strict peer. Postfix exempts
# $mynetworks (here 127.0.0.0/8) unless told otherwise.
STRICT = "smtpd_forbid_bare_newline = reject\nsmtpd_forbid_bare_newline_exclusions ="


@needs_postfix
def test_postfix_that_forbids_bare_newlines_accepts_what_the_proxy_relays(
    tmp_path: Path, upstream: SinkServer
) -> None:
    postfix_port = free_port()
    with postfix_relay(postfix_port, upstream.port, STRICT) as home:
        guard = Guard(
            tmp_path / "home",
            Settings(proxy=ProxySettings(port=free_port())),
            MemorySecrets(),
            EventLog(),
            upstream=UpstreamConfig("127.0.0.1", postfix_port, tls=TlsMode.NONE),
        )
        guard.start()
        try:
            raw = RawClient(guard.proxy.port)
            raw.login(guard.local_secret)
            reply = raw.send(b"Hello,\nwritten with bare LF.\n..dotted\nBye.\n")
            raw.close()
        finally:
            guard.stop()
        maillog = home / "maillog"
        log = maillog.read_text(errors="replace") if maillog.exists() else ""

    assert reply.startswith("250"), reply
    assert "queued as" in reply
    assert "bare <LF>" not in log
    wait_for(lambda: len(upstream.received) == 1, timeout=60)
    (received,) = upstream.received
    assert BARE.search(received.data) is None
    # The dots after a bare LF are content (the proxy kept both); Postfix's own
    # stuffing of them was undone by the sink.
    assert b"Hello,\r\nwritten with bare LF.\r\n..dotted\r\nBye.\r\n" in received.data


@needs_postfix
def test_the_strict_postfix_really_refuses_bare_newlines(
    upstream: SinkServer,
) -> None:
    """The check above means something: this Postfix refuses a bare LF itself."""
    postfix_port = free_port()
    with postfix_relay(postfix_port, upstream.port, STRICT):
        raw = RawClient(postfix_port)
        assert raw.command("EHLO client.example").startswith("250")
        reply = raw.send(b"Hello,\nbare LF.\n")
        raw.sock.close()

    assert reply.startswith("5"), reply
    assert "bare <LF>" in reply


# -- the DATA reader itself, fed by hand --------------------------------------------


class _Handler:
    pass


def read_data(
    stream: bytes, step: int = 0, **smtp_kwargs: Any
) -> tuple[str, bytes, bytes]:
    """What `_read_data_into` makes of `stream` (fed `step` bytes at a time, or all
    at once): the refusal or "", the message, and what it left unread."""

    async def run() -> tuple[str, bytes, bytes]:
        loop = asyncio.get_running_loop()
        server = _LoopbackSMTP(_Handler(), loop=loop, **smtp_kwargs)
        reader = asyncio.StreamReader(limit=server.line_length_limit, loop=loop)
        server._reader = reader
        buffer = bytearray()
        task = asyncio.create_task(server._read_data_into(buffer))
        for start in range(0, len(stream), step or len(stream) or 1):
            reader.feed_data(stream[start : start + (step or len(stream))])
            await asyncio.sleep(0)
        reader.feed_eof()
        problem = await task
        return problem, bytes(buffer), await reader.read()

    return asyncio.run(run())


LINE_END = re.compile(rb"(\r\n|\r|\n)")


def reference(stream: bytes) -> tuple[str, bytes, bytes]:
    """The rule of `_read_data_into`, written plainly over the whole stream."""
    parts = LINE_END.split(stream)
    out = bytearray()
    refused = False
    after_crlf = True
    offset = 0
    for text, end in zip(parts[0::2], parts[1::2], strict=False):
        offset += len(text) + len(end)
        if text == b"." and after_crlf and end == b"\r\n":
            return (
                ("550" if refused else ""),
                (b"" if refused else bytes(out)),
                stream[offset:],
            )
        if text == b".":
            refused = True
        out += text[1:] if after_crlf and text.startswith(b".") else text
        out += b"\r\n"
        after_crlf = end == b"\r\n"
    raise AssertionError("no end of data in the stream")


PIECES = [b"a", b"b c", b".", b"..", b"\r", b"\n", b"\r\n", b"\r\n.", b"\r\n..\r\n"]
END = b"\r\n.\r\nNOOP\r\n"


@given(st.lists(st.sampled_from(PIECES), max_size=30).map(b"".join), st.integers(0, 7))
def test_the_reader_follows_the_rule_however_the_bytes_arrive(
    body: bytes, step: int
) -> None:
    problem, message, rest = read_data(body + END, step)

    expected_problem, expected_message, expected_rest = reference(body + END)
    assert problem[:3] == expected_problem
    assert message == expected_message
    assert rest == expected_rest
    assert BARE.search(message) is None


def test_an_over_long_line_is_refused_and_the_end_still_found() -> None:
    # The reader's limit cuts the line right after its CR: the LF comes alone.
    for stream in (
        b"x" * 2000 + b"\r\n.\r\nNOOP\r\n",
        b"ok\r\n" + b"x" * 5000 + b"\r\nmore\r\n.\r\nNOOP\r\n",
    ):
        for step in (0, 1, 1001, 1500):
            problem, message, rest = read_data(stream, step)
            assert problem.startswith("500 "), (len(stream), step)
            assert message == b""
            assert rest == b"NOOP\r\n"


def test_a_message_over_the_size_limit_is_refused_and_read_to_its_end() -> None:
    stream = b"1234567890\n" * 10 + b".\r\n..\r\n\r\n.\r\nNOOP\r\n"

    problem, message, rest = read_data(stream, data_size_limit=50)

    assert problem.startswith("552 ")
    assert message == b""
    assert rest == b"NOOP\r\n"
