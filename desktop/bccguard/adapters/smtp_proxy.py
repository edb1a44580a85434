"""The local SMTP submission proxy: loopback only, AUTH with the local secret, and the
handler's answer to DATA is the reply the mail client gets.

The proxy itself decides nothing: each authenticated submission goes to the
``submit`` coroutine (the guard service), whose returned line is sent back. It only
keeps the SMTP side safe: line ends are made CRLF (SMTP smuggling), and failed AUTH
is slowed down and capped.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import socket
import time
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

# Failed AUTH. The answer to the n-th wrong password on one connection waits
# AUTH_FIRST_DELAY * 2 ** (n - 1) seconds, at most AUTH_MAX_DELAY (a right password
# is never made to wait). After AUTH_FAILURES_PER_WINDOW wrong passwords in
# AUTH_WINDOW seconds, counted over all connections from the first of them, every
# AUTH is refused with a 454, unchecked, until that window ends. Generous: a user
# who mistyped the password a few times gets in at once with the right one.
AUTH_FIRST_DELAY = 0.5
AUTH_MAX_DELAY = 8.0
AUTH_FAILURES_PER_WINDOW = 30
AUTH_WINDOW = 60.0

_AUTH_REFUSED = (
    "454 4.7.0 Too many wrong passwords for BccGuard in the last minute; wait a "
    "minute, then use the password BccGuard shows for this mail program"
)
# RFC 5321 §2.3.8 and §4.5.2: see _LoopbackSMTP._read_data_into.
_DOT_LOOKALIKE = (
    '550 5.6.0 Not sent: a line of only "." next to a bare CR or LF (a line end '
    "that is not CRLF) could end the message early at other mail servers; set the "
    "mail program to end lines with CRLF (RFC 5321 2.3.8), or remove that line"
)
_LINE_TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"


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
    """The proxy cannot start (port taken, bad address).

    ``port`` is the port it tried, ``errno`` the system's error number (None if
    there was none), so that callers need not read the text.
    """

    def __init__(self, message: str, *, port: int, errno: int | None) -> None:
        super().__init__(message)
        self.port = port
        self.errno = errno


def one_line(text: str) -> str:
    """Text that is safe on one SMTP reply line."""
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())[:400]


class LocalSecretAuthenticator:
    """Accepts AUTH PLAIN/LOGIN whose password is the install's local secret.

    Failures are logged and slowed down by the proxy (``_AuthThrottle``), not here.
    """

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
        return AuthResult(success=ok, handled=False)


@dataclass(frozen=True, slots=True)
class AuthLimits:
    """How failed AUTH is slowed down and capped (the module's AUTH_* constants)."""

    first_delay: float = AUTH_FIRST_DELAY
    max_delay: float = AUTH_MAX_DELAY
    failures_per_window: int = AUTH_FAILURES_PER_WINDOW
    window: float = AUTH_WINDOW

    def delay(self, failures: int) -> float:
        """Seconds the answer to a connection's `failures`-th wrong password waits."""
        if failures < 1:
            return 0.0
        doubling = min(failures - 1, 60)  # past the cap anyway; no float overflow
        return min(self.first_delay * 2.0**doubling, self.max_delay)


class _AuthThrottle:
    """Failed AUTH over all of a proxy's connections: the cap per window, and the log.

    A window opens at a wrong password when none is open and lasts
    ``limits.window`` seconds. Its first failure is logged with the peer; the
    rest of the burst is one summary line when the window ends. Used on the
    proxy's event loop only (and by ``flush`` once that loop has stopped).
    """

    def __init__(
        self, limits: AuthLimits, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._window_end = 0.0
        self._failures = 0  # wrong passwords in the open window; 0: none open
        self._refused = 0  # AUTH refused unchecked in the open window
        self._timer: asyncio.TimerHandle | None = None

    def refusing(self) -> bool:
        """True when AUTH must be refused unchecked (counted as an attempt)."""
        self._expire()
        if self._failures < self.limits.failures_per_window:
            return False
        self._refused += 1
        return True

    def failed(self, mechanism: str, peer: object) -> None:
        """A wrong password was given."""
        self._expire()
        if not self._failures:
            self._window_end = self._clock() + self.limits.window
            log.warning("proxy: failed AUTH %s from %s", mechanism, peer)
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # called outside the proxy's loop (tests)
                pass
            else:
                self._timer = loop.call_later(self.limits.window, self.flush)
        self._failures += 1

    def _expire(self) -> None:
        if self._failures and self._clock() >= self._window_end:
            self.flush()

    def flush(self) -> None:
        """End the open window, logging the rest of its burst if there was more."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        more = max(self._failures - 1, 0) + self._refused
        if more:
            window = self.limits.window
            span = "minute" if window == 60 else f"{window:g} s"
            refused = (
                f" ({self._refused} refused unchecked after "
                f"{self.limits.failures_per_window} wrong passwords)"
                if self._refused
                else ""
            )
            log.warning(
                "proxy: %d more failed AUTH attempts in the last %s%s",
                more,
                span,
                refused,
            )
        self._failures = self._refused = 0


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
    """aiosmtpd's SMTP with these changes for the proxy.

    AUTH is offered without TLS: the proxy listens on loopback only, so the password
    never crosses a network (``auth_require_tls=False`` makes aiosmtpd warn on every
    connection). A wrong password is answered later each time on a connection, and
    past a cap over all connections AUTH is refused unchecked (``auth_throttle``;
    see AUTH_FIRST_DELAY). DATA is read into one growing buffer: aiosmtpd keeps a
    list of one bytearray per line and then joins it, about three times the message
    in memory at the peak; and bare CR and LF are made CRLF as it is read (see
    ``_read_data_into``). And a plain MAIL or RCPT address skips aiosmtpd's parser,
    which declares a class on every call: a tenth of a small message's CPU time.
    Written against aiosmtpd 1.4 (see the pin in pyproject).
    """

    def __init__(
        self, *args: Any, auth_throttle: _AuthThrottle | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._auth_require_tls = False
        self._auth_throttle = auth_throttle
        self._auth_failures = 0  # wrong passwords on this connection
        self._auth_delay = 0.0  # how long the answer to the last one waits

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
        """RFC 4954 AUTH, refused unchecked while too many passwords were wrong."""
        throttle = self._auth_throttle
        session = self.session
        if (
            throttle is not None
            and session is not None
            and session.extended_smtp
            and not session.authenticated
            and throttle.refusing()
        ):
            await self.push(_AUTH_REFUSED)
            return
        await super().smtp_AUTH(arg)

    def _authenticate(self, mechanism: str, auth_data: Any) -> AuthResult:
        """Every password check of PLAIN and LOGIN; counts the wrong ones."""
        result = super()._authenticate(mechanism, auth_data)
        throttle = self._auth_throttle
        if throttle is not None and not result.success:
            self._auth_failures += 1
            self._auth_delay = throttle.limits.delay(self._auth_failures)
            throttle.failed(mechanism, self.session.peer if self.session else None)
        return result

    async def auth_PLAIN(self, _: SMTP, args: list[str]) -> AuthResult:
        """AUTH PLAIN; the answer to a wrong password waits (the loop does not)."""
        return await self._answer_later(await super().auth_PLAIN(_, args))

    async def auth_LOGIN(self, _: SMTP, args: list[str]) -> AuthResult:
        """AUTH LOGIN; the answer to a wrong password waits (the loop does not)."""
        return await self._answer_later(await super().auth_LOGIN(_, args))

    async def _answer_later(self, result: AuthResult) -> AuthResult:
        delay, self._auth_delay = self._auth_delay, 0.0
        if delay > 0:
            await asyncio.sleep(delay)
        return result

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
        r"""Read lines up to the lone dot, undoing dot-stuffing (RFC 5321 §4.5.2),
        with every bare CR and bare LF made CRLF.

        Lines end in CRLF (RFC 5321 §2.3.8); a CR or LF that is not part of a
        CRLF is bare. Servers differ on what a bare one ends, and that is SMTP
        smuggling: "\r.\r\n" or "\n.\n" inside a message is its end to
        some and content to others. So a bare CR and a bare LF each end a line
        here too, and the line is handed on with CRLF in its place: what is
        checked and relayed has only CRLF line ends, and the relay stuffs every
        line that starts with "." (§4.5.2), which no server then reads two ways.
        The rule, exactly:

        - The end of data is a line of only "." between two CRLFs (the first of
          them may be DATA's own), and nothing else.
        - A "." that starts a line right after a CRLF is stuffing and is removed.
          One that starts a line after a bare CR or LF is content and is kept:
          the client did not stuff there, and a dot is never dropped on a guess.
          (So "\r\n..\n" is the content line ".", relayed stuffed again.)
        - A line of only "." with a bare CR or LF on either side ("\r.\r\n",
          "\n.\n", "\r\n.\n", "\n.\r\n", "\r\n.\r...") reads as
          the end to some server and not to others: the message is refused with
          550 5.6.0. The rest of it is still read up to the real end, so the
          session stays in step (a client that ends a message with "\n.\r\n"
          is answered only when a real end follows, or the session times out,
          as before).

        Lines are read up to each LF. A line with one CRLF at its end that follows a
        CRLF, nearly every line, costs one scan for CR and no copy; only a line with
        a bare CR or LF is rebuilt, itself alone. A message with bare LF line ends
        is read line by line; one with only bare CRs is one line, too long.

        Returns:
            "" when the message is in ``buffer``, else the reply that refuses it
            (the rest of the data is still read, so the session stays in step).
        """
        limit = self.data_size_limit
        longest = self.line_length_limit
        problem = ""
        after_crlf = True  # the line before ended in CRLF (DATA's own, at first)
        partial = False  # inside a line longer than the reader's limit
        cut_cr = False  # what was cut from that line ended in CR
        while True:
            try:
                line = await self._reader.readuntil(b"\n")
            except asyncio.LimitOverrunError as overrun:
                cut = await self._reader.read(overrun.consumed)
                cut_cr = cut.endswith(b"\r")
                problem = problem or _LINE_TOO_LONG
                buffer.clear()
                partial = True
                after_crlf = False  # not the fast path for its end
                continue
            except asyncio.CancelledError:
                self._writer.close()  # the client went away mid-DATA
                raise
            # The fast path: after a CRLF, and the only CR is the one of the CRLF
            # at the end (a line of just "\n" has no CR at len - 2 == -1).
            piece: bytes | memoryview | None
            if after_crlf and line.find(b"\r") == len(line) - 2 != -1:
                if line == b".\r\n":
                    return problem
                piece = memoryview(line)[1:] if line.startswith(b".") else line
            else:
                stuffed, after_crlf = after_crlf, line.endswith(b"\r\n")
                if partial:
                    partial = False  # the end of the over-long line
                    after_crlf = after_crlf or (line == b"\n" and cut_cr)
                    continue
                piece = _with_crlf(line, stuffed)  # None: an end-of-data lookalike
            if problem:
                continue
            if len(line) > longest:
                problem = _LINE_TOO_LONG
            elif piece is None:
                problem = _DOT_LOOKALIKE
            else:
                buffer += piece
                if not limit or len(buffer) <= limit:
                    continue
                problem = "552 Error: Too much mail data"
            buffer.clear()


def _with_crlf(line: bytes, stuffed: bool) -> bytes | None:
    """`line` (read up to its LF) with CRLF for each bare CR and the bare LF, and
    the leading dot removed when `stuffed`; None when a piece of it is only "."
    (an end-of-data lookalike: see ``_LoopbackSMTP._read_data_into``)."""
    pieces = (line[:-2] if line.endswith(b"\r\n") else line[:-1]).split(b"\r")
    if b"." in pieces:
        return None
    if stuffed and pieces[0].startswith(b"."):
        pieces[0] = pieces[0][1:]
    pieces.append(b"")
    return b"\r\n".join(pieces)


class _LoopbackController(Controller):
    def __init__(
        self, handler: Any, *, auth_throttle: _AuthThrottle, **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self.auth_throttle = auth_throttle

    def factory(self) -> SMTP:
        return _LoopbackSMTP(
            self.handler, auth_throttle=self.auth_throttle, **self.SMTP_kwargs
        )


def _bindable(port: int) -> None:
    """Bind ``port`` as asyncio's server will (SO_REUSEADDR on POSIX), and let go.

    Raises:
        OSError: it cannot be bound (EADDRINUSE: another program listens there).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((LOOPBACK_HOST, port))


class SmtpProxy:
    """The listening proxy; runs its own event loop thread (aiosmtpd Controller)."""

    def __init__(
        self,
        submit: Submit,
        secret: Callable[[], str],
        *,
        port: int,
        max_message_size: int,
        auth_limits: AuthLimits | None = None,
    ) -> None:
        """``auth_limits``: how failed AUTH is slowed down and capped (default:
        the AUTH_* constants)."""
        self._auth_throttle = _AuthThrottle(auth_limits or AuthLimits())
        self._listening = False
        self._controller = _LoopbackController(
            ProxyHandler(submit),
            auth_throttle=self._auth_throttle,
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
        port = int(self._controller.port)
        try:
            _bindable(port)  # aiosmtpd waits its whole ready_timeout on a taken port
            self._controller.start()
        except (OSError, RuntimeError) as error:
            loop = self._controller.loop
            if not loop.is_running():
                loop.close()
            raise ProxyError(
                f"cannot listen on {LOOPBACK_HOST}:{port}: {error}",
                port=port,
                errno=getattr(error, "errno", None),
            ) from error
        self._listening = True

    @property
    def listening(self) -> bool:
        """True from a successful :meth:`start` until :meth:`stop`."""
        return self._listening

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
        self._listening = False
        try:
            self._controller.stop()
        except (AssertionError, RuntimeError):
            log.debug("proxy was not running")
        self._auth_throttle.flush()  # the loop has stopped: log a burst in progress
