"""The local SMTP submission proxy: loopback only, AUTH with the local secret, and the
handler's answer to DATA is the reply the mail client gets.

The proxy itself decides nothing: each authenticated submission goes to the
``submit`` coroutine (the guard service), whose returned line is sent back.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

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


class _LoopbackSMTP(SMTP):
    """aiosmtpd's SMTP, offering AUTH without TLS: the proxy listens on loopback only,
    so the password never crosses a network. (Passing ``auth_require_tls=False``
    instead makes aiosmtpd warn on every connection.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._auth_require_tls = False


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
