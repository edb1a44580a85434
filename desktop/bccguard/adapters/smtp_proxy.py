"""The local SMTP submission proxy: loopback only, AUTH with the local secret, and the
handler's answer to DATA is the reply the mail client gets.

The proxy itself decides nothing: each authenticated submission goes to the
``submit`` coroutine (the guard service), whose returned line is sent back.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import (
    MISSING,
    SMTP,
    AuthResult,
    Envelope,
    LoginPassword,
    Session,
    syntax,
)

from bccguard.core.settings import LOOPBACK_HOST

log = logging.getLogger(__name__)
# aiosmtpd logs every connection at INFO.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class Submission:
    """One message a mail client handed to the proxy."""

    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    smtputf8: bool
    eight_bit: bool
    peer: str


Submit = Callable[[Submission], Awaitable[str]]


class ProxyError(Exception):
    """The proxy cannot start (port taken, bad address)."""


def one_line(text: str) -> str:
    """Text that is safe on one SMTP reply line."""
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())[:400]


class LocalSecretAuthenticator:
    """Accepts AUTH PLAIN/LOGIN whose password is the install's local secret."""

    def __init__(self, secret: Callable[[], str]) -> None:
        self._secret = secret

    def __call__(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        """aiosmtpd's authenticator hook; compares in constant time."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        expected = self._secret().encode("utf-8")
        ok = hmac.compare_digest(bytes(auth_data.password), expected)
        if not ok:
            log.warning("proxy: failed AUTH %s from %s", mechanism, session.peer)
        return AuthResult(success=ok, handled=False)


class ProxyHandler:
    """aiosmtpd handler: refuse what is not allowed, hand the rest to ``submit``."""

    def __init__(self, submit: Submit) -> None:
        self._submit = submit

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept any recipient of an authenticated client (AUTH is checked first)."""
        if not session.authenticated:  # never an open relay
            return "530 5.7.0 Authentication required"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Pass the submission on; the returned line is the client's answer."""
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        data = envelope.original_content or b""
        options = [o.upper() for o in envelope.mail_options]
        submission = Submission(
            mail_from=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            data=bytes(data),
            smtputf8=envelope.smtp_utf8 or "SMTPUTF8" in options,
            eight_bit="BODY=8BITMIME" in options,
            peer=str(session.peer),
        )
        try:
            return one_line(await self._submit(submission))
        except Exception:  # the boundary: a bug must not become a lost message
            log.exception("proxy: submission from %s failed", session.peer)
            return "451 4.3.0 BccGuard had an internal error; the message was not sent"


# A plain <local@domain>, the path every mail client sends: a dot-atom local part
# and a host name. Anything else (quoted local parts, address literals, non-ASCII,
# comments, no angle brackets) goes to aiosmtpd's own parser. Like that parser,
# a blank right after the address starts a run of any white space that is dropped.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_PATH = re.compile(
    rf"[ \t]*<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>"
    r"(?:[ \t]\s*+)?+((?!\().*)",
    re.DOTALL,
)


class _LoopbackSMTP(SMTP):
    """aiosmtpd's SMTP with three changes for the proxy.

    AUTH is offered without TLS: the proxy listens on loopback only, so the password
    never crosses a network (``auth_require_tls=False`` makes aiosmtpd warn on every
    connection). And DATA is read into one growing buffer: aiosmtpd keeps a list of
    one bytearray per line and then joins it, about three times the message in
    memory at the peak. And a plain MAIL or RCPT address skips aiosmtpd's parser,
    which declares a class on every call: a tenth of a small message's CPU time.
    Written against aiosmtpd 1.4 (see the pin in pyproject).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._auth_require_tls = False

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """The address in a MAIL or RCPT argument, and what follows it."""
        plain = _PLAIN_PATH.fullmatch(arg)
        if plain is None:
            return super()._getaddr(arg)
        address, rest = plain.groups()
        limit = self.local_part_limit
        if limit and len(address.rpartition("@")[0]) > limit:
            return None, None
        return address, rest

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """RFC 5321 §4.1.1.4, the message streamed into a single buffer."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        problem = await self._read_data_into(buffer := bytearray())
        if problem:
            await self.push(problem)
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            return
        content = bytes(buffer)
        del buffer
        self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)

    async def _read_data_into(self, buffer: bytearray) -> str:
        """Read lines up to the lone dot, undoing dot-stuffing (RFC 5321 §4.5.2).

        Returns:
            "" when the message is in ``buffer``, else the reply that refuses it
            (the rest of the data is still read, so the session stays in step).
        """
        limit = self.data_size_limit
        problem = ""
        partial = False  # inside a line longer than the reader's limit
        while True:
            try:
                line = await self._reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError as overrun:
                await self._reader.read(overrun.consumed)
                problem = problem or "500 Line too long (see RFC5321 4.5.3.1.6)"
                partial = True
                continue
            except asyncio.CancelledError:
                self._writer.close()  # the client went away mid-DATA
                raise
            if partial:
                partial = False  # the end of the over-long line
                continue
            if line == b".\r\n":
                return problem
            if problem:
                continue
            if len(line) > self.line_length_limit:
                problem = "500 Line too long (see RFC5321 4.5.3.1.6)"
                buffer.clear()
                continue
            buffer += memoryview(line)[1:] if line.startswith(b".") else line
            if limit and len(buffer) > limit:
                problem = "552 Error: Too much mail data"
                buffer.clear()


class _LoopbackController(Controller):
    def factory(self) -> SMTP:
        return _LoopbackSMTP(self.handler, **self.SMTP_kwargs)


class SmtpProxy:
    """The listening proxy; runs its own event loop thread (aiosmtpd Controller)."""

    def __init__(
        self,
        submit: Submit,
        secret: Callable[[], str],
        *,
        port: int,
        max_message_size: int,
    ) -> None:
        self._controller = _LoopbackController(
            ProxyHandler(submit),
            hostname=LOOPBACK_HOST,
            port=port,
            ident="BccGuard",
            server_hostname="localhost",
            ready_timeout=10.0,
            # Keyword arguments for aiosmtpd's SMTP class:
            authenticator=LocalSecretAuthenticator(secret),
            auth_required=True,
            data_size_limit=max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    def start(self) -> None:
        """Start listening on 127.0.0.1.

        Raises:
            ProxyError: the port is taken or cannot be bound.
        """
        try:
            self._controller.start()
        except (OSError, RuntimeError) as error:
            raise ProxyError(
                f"cannot listen on {LOOPBACK_HOST}:{self._controller.port}: {error}"
            ) from error

    @property
    def port(self) -> int:
        """The port actually listened on."""
        server = self._controller.server
        sockets = getattr(server, "sockets", None)
        if sockets:
            return int(sockets[0].getsockname()[1])
        return int(self._controller.port)

    @property
    def loop(self) -> Any:
        """The event loop the proxy runs on."""
        return self._controller.loop

    def stop(self) -> None:
        """Stop listening; sessions in progress are closed."""
        try:
            self._controller.stop()
        except (AssertionError, RuntimeError):
            log.debug("proxy was not running")
