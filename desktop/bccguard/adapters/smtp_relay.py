"""Relay a message to the user's upstream submission server with smtplib.

Blocking by design: the proxy runs `SmtpRelay.send` in a worker thread. Every
network failure becomes a `BatchOutcome` with an SMTP code and a text a person
can read; `send` never raises for a refusal, a timeout or a dead server.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import overload

from bccguard.adapters.log_redaction import SecretRedactingFilter
from bccguard.adapters.oauth2_client import OAuthError, SignInNeededError
from bccguard.adapters.smtp_transaction import StaleConnection, reply_text, transact
from bccguard.core.held import Delivery, RecipientOutcome
from bccguard.core.hosts import is_loopback_host  # settings refuse the same

_log = logging.getLogger(__name__)
_redactor = SecretRedactingFilter()
_log.addFilter(_redactor)

# What we say in EHLO: an address literal, as Thunderbird does by default;
# smtplib's default (socket.getfqdn) can stall on a broken resolver.
_EHLO_NAME = "[127.0.0.1]"


class TlsMode(StrEnum):
    """How the connection to the upstream server is protected."""

    IMPLICIT = "implicit"
    STARTTLS = "starttls"
    NONE = "none"


class RelayError(Exception):
    """Base for errors of the upstream relay."""


class RelayConfigError(RelayError):
    """The upstream settings cannot work, or would not be safe."""


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    """Where and how to relay: one upstream submission server."""

    host: str
    port: int
    tls: TlsMode = TlsMode.STARTTLS
    username: str | None = None
    max_recipients: int = 100
    timeout: float = 30.0
    # RFC 5321 §4.5.3.2.6: a server may take 10 minutes to answer the final dot.
    final_reply_timeout: float = 600.0
    ca_file: str | None = None
    auth_mechanism: str | None = None

    def __post_init__(self) -> None:
        """Reject settings that cannot work or would send in the clear."""
        if not self.host.strip():
            raise RelayConfigError("upstream.host: must not be empty")
        if not 1 <= self.port <= 65535:
            raise RelayConfigError("upstream.port: must be 1–65535")
        if self.max_recipients < 1:
            raise RelayConfigError("upstream.max_recipients: must be at least 1")
        if not self.timeout > 0:
            raise RelayConfigError("upstream.timeout: must be more than 0 seconds")
        if not self.final_reply_timeout > 0:
            raise RelayConfigError(
                "upstream.final_reply_timeout: must be more than 0 seconds"
            )
        if self.tls is TlsMode.NONE and not is_loopback_host(self.host):
            raise RelayConfigError(
                f"upstream.tls: 'none' is only allowed for this machine, "
                f"not for {self.host}"
            )
        if self.auth_mechanism not in (None, "xoauth2"):
            raise RelayConfigError(
                "upstream.auth_mechanism: must be empty (password) or 'xoauth2'"
            )
        if self.auth_mechanism and not self.username:
            raise RelayConfigError("upstream.username: needed for xoauth2")

    @property
    def address(self) -> str:
        """The server as `host:port`, for messages."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What upstream answered for one batch (one SMTP transaction)."""

    recipients: tuple[str, ...]
    code: int
    text: str
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)
    # The final dot went and no reply came: upstream may have the message.
    dot_sent: bool = False
    # The server refused the login: the credentials must change first.
    sign_in: bool = False
    # No session with the server could be set up (connection, TLS, greeting).
    unreachable: bool = False

    @property
    def ok(self) -> bool:
        """True when upstream accepted the message for this batch (2xx)."""
        return 200 <= self.code < 300

    @property
    def temporary(self) -> bool:
        """True when the failure may go away by trying later (4xx)."""
        return 400 <= self.code < 500

    def outcomes(self) -> tuple[RecipientOutcome, ...]:
        """What became of each recipient of this batch."""
        if self.ok:
            return tuple(self._one(rcpt) for rcpt in dict.fromkeys(self.recipients))
        if self.dot_sent:
            kind = Delivery.UNCERTAIN
        elif self.sign_in:
            kind = Delivery.NEEDS_SIGN_IN
        else:
            kind = Delivery.DEFERRED if self.code < 500 else Delivery.REFUSED
        return tuple(
            RecipientOutcome(rcpt, kind, self.code, self.text)
            for rcpt in dict.fromkeys(self.recipients)
        )

    def _one(self, rcpt: str) -> RecipientOutcome:
        if rcpt not in self.refused:
            return RecipientOutcome(rcpt, Delivery.ACCEPTED, self.code, self.text)
        code, text = self.refused[rcpt]
        kind = Delivery.DEFERRED if code < 500 else Delivery.REFUSED
        return RecipientOutcome(rcpt, kind, code, text)


@dataclass(frozen=True, slots=True)
class RelayResult:
    """The outcome of relaying one message, batch by batch."""

    batches: tuple[BatchOutcome, ...]

    @property
    def delivered(self) -> tuple[str, ...]:
        """Recipients upstream accepted."""
        return tuple(
            rcpt
            for batch in self.batches
            if batch.ok
            for rcpt in batch.recipients
            if rcpt not in batch.refused
        )

    @property
    def failed(self) -> tuple[str, ...]:
        """Recipients the message did not reach."""
        return tuple(
            rcpt
            for batch in self.batches
            for rcpt in batch.recipients
            if not batch.ok or rcpt in batch.refused
        )

    @property
    def failures(self) -> tuple[BatchOutcome, ...]:
        """The batches upstream did not accept."""
        return tuple(batch for batch in self.batches if not batch.ok)

    @property
    def ok(self) -> bool:
        """True when every recipient was delivered."""
        return bool(self.batches) and not self.failed

    @property
    def partial(self) -> bool:
        """True when some recipients were delivered and others were not."""
        return bool(self.delivered) and bool(self.failed)

    @property
    def unreachable(self) -> str:
        """Why the server could not be reached, if that is what happened ("")."""
        return next((b.text for b in self.batches if b.unreachable), "")

    def outcomes(self) -> tuple[RecipientOutcome, ...]:
        """Every recipient's fate, batch by batch."""
        return tuple(o for batch in self.batches for o in batch.outcomes())


# Called with a batch's recipients just before its final dot is sent; raising
# stops the transaction there (nothing is sent), the batch then counts as
# refused for now.
BeforeFinalDot = Callable[[tuple[str, ...]], None]
AfterBatch = Callable[[BatchOutcome], None]


class _UpstreamFailure(RelayError):
    """A failure that ends the connection: every batch left gets this outcome."""

    def __init__(self, code: int, text: str, *, sign_in: bool = False) -> None:
        super().__init__(f"{code} {text}")
        self.code = code
        self.text = text
        self.sign_in = sign_in
        self.unreachable = False  # no session could be set up at all


class SmtpRelay:
    """Send messages through one upstream server, split into batches."""

    def __init__(
        self,
        config: UpstreamConfig,
        password: Callable[[], str | None] | None = None,
        *,
        keep_alive: float = 0.0,
        renew_password: Callable[[str], str | None] | None = None,
    ) -> None:
        """Prepare a relay; nothing connects until `send`.

        Args:
            config: The upstream server and its limits.
            password: Returns the password (or the OAuth2 access token for
                xoauth2) when a connection logs in; called once per connection.
            keep_alive: Seconds an idle connection is kept for the next `send`
                (0: every `send` ends with QUIT). A relay that keeps connections
                must be `close`d.
            renew_password: For xoauth2: given the token the server refused,
                returns a renewed one; the login is tried once more with it.

        Raises:
            RelayConfigError: A username without a password source, or a CA
                file that cannot be loaded.
        """
        if config.username and password is None:
            raise RelayConfigError("upstream.username: set, but no password source")
        self._config = config
        self._password = password
        self._renew_password = renew_password
        self._keep_alive = keep_alive
        self._idle: list[tuple[smtplib.SMTP, float]] = []
        self._live: weakref.WeakSet[smtplib.SMTP] = weakref.WeakSet()
        self._idle_lock = threading.Lock()
        self._context = _tls_context(config) if config.tls is not TlsMode.NONE else None

    @property
    def config(self) -> UpstreamConfig:
        """The upstream this relay sends to."""
        return self._config

    def send(
        self,
        mail_from: str,
        recipients: Sequence[str],
        data: bytes,
        *,
        smtputf8: bool = False,
        eight_bit: bool = False,
        before_final_dot: BeforeFinalDot | None = None,
        after_batch: AfterBatch | None = None,
    ) -> RelayResult:
        """Relay the message bytes unchanged, one transaction per batch.

        Args:
            mail_from: The envelope sender ("" for a null reverse-path).
            recipients: The envelope recipients.
            data: The message exactly as it should arrive.
            smtputf8: The message needs SMTPUTF8 (RFC 6531); also implied by
                non-ASCII envelope addresses.
            eight_bit: Ask for BODY=8BITMIME (RFC 6152) when upstream has it.
            before_final_dot: Told each batch's recipients just before its final
                dot goes (the hold engine records it durably); if it raises, the
                dot is not sent and the batch is refused for now.
            after_batch: Told each batch's outcome as soon as it is known.

        Returns:
            One outcome per batch of at most `max_recipients` recipients.

        Raises:
            ValueError: No recipients.
        """
        if not recipients:
            raise ValueError("no recipients to relay to")
        size = self._config.max_recipients
        batches = [
            tuple(recipients[i : i + size]) for i in range(0, len(recipients), size)
        ]
        needs_utf8 = smtputf8 or not all(a.isascii() for a in (mail_from, *recipients))
        outcomes: list[BatchOutcome] = []
        conn = self._checkout()
        try:
            for index, batch in enumerate(batches):
                hook = _DotHook(before_final_dot, batch)
                try:
                    conn, outcome = self._send_batch(
                        conn, mail_from, batch, data, needs_utf8, eight_bit, hook
                    )
                except _UpstreamFailure as failure:
                    rest = [
                        BatchOutcome(
                            b,
                            failure.code,
                            failure.text,
                            sign_in=failure.sign_in,
                            unreachable=failure.unreachable,
                        )
                        for b in batches[index:]
                    ]
                    outcomes.extend(rest)
                    if after_batch is not None:
                        for item in rest:
                            after_batch(item)
                    break
                outcomes.append(outcome)
                if after_batch is not None:
                    after_batch(outcome)
                # One batch is said by the service's "relayed" line already.
                _log.log(
                    logging.INFO if len(batches) > 1 else logging.DEBUG,
                    "batch %d/%d: %d recipients, upstream %s answered %d",
                    index + 1,
                    len(batches),
                    len(batch),
                    self._config.address,
                    outcome.code,
                )
        finally:
            if conn is not None:
                self._checkin(conn)
        return RelayResult(tuple(outcomes))

    def _send_batch(
        self,
        conn: smtplib.SMTP | None,
        mail_from: str,
        batch: tuple[str, ...],
        data: bytes,
        needs_utf8: bool,
        eight_bit: bool,
        hook: _DotHook,
    ) -> tuple[smtplib.SMTP, BatchOutcome]:
        """One batch on the connection in hand while the server still has it
        (no NOOP first: a round trip a message), else on a new connection."""
        if conn is not None and conn.sock is not None:
            options = self._mail_options(conn, len(data), needs_utf8, eight_bit)
            try:
                return conn, self._transact(
                    conn, mail_from, batch, data, options, hook, reused=True
                )
            except StaleConnection:
                _log.info("upstream %s dropped the connection", self._config.address)
        if conn is not None:
            conn.close()
        try:
            conn = self._connect()
        except _UpstreamFailure as failure:
            failure.unreachable = not failure.sign_in
            raise
        try:
            options = self._mail_options(conn, len(data), needs_utf8, eight_bit)
            return conn, self._transact(conn, mail_from, batch, data, options, hook)
        except _UpstreamFailure:
            _quit(conn)
            raise
        except BaseException:  # a bug: never leave the socket open behind it
            conn.close()
            raise

    def _checkout(self) -> smtplib.SMTP | None:
        """An idle connection kept from an earlier `send`, if one is fresh enough."""
        stale: list[smtplib.SMTP] = []
        found = None
        with self._idle_lock:
            now = time.monotonic()
            while self._idle and found is None:
                conn, since = self._idle.pop()
                if now - since < self._keep_alive:
                    found = conn
                else:
                    stale.append(conn)
        for conn in stale:
            _quit(conn)
        return found

    def _checkin(self, conn: smtplib.SMTP) -> None:
        """Keep a healthy connection for the next `send`, or say goodbye."""
        if self._keep_alive > 0 and conn.sock is not None:
            with self._idle_lock:
                self._idle.append((conn, time.monotonic()))
            return
        _quit(conn)

    def close(self) -> None:
        """QUIT every kept connection."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            _quit(conn)

    def abort(self) -> None:
        """Cut every connection, those in use too (BccGuard is stopping): a
        transaction under way ends with a connection error at once, instead of
        waiting up to 10 minutes for a slow server's reply."""
        self.close()
        with self._idle_lock:
            live = list(self._live)
        for conn in live:
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _connect(self) -> smtplib.SMTP:
        """Connect, greet, secure and log in; any failure closes the socket."""
        conn = self._open()
        try:
            conn.ehlo_or_helo_if_needed()
            if self._config.tls is TlsMode.STARTTLS:
                self._starttls(conn)
            self._login(conn)
        except _UpstreamFailure:
            conn.close()
            raise
        except (smtplib.SMTPException, OSError) as e:
            conn.close()
            raise self._failure(e, 421) from e
        return conn

    def _open(self) -> smtplib.SMTP:
        """Connect and read the greeting.

        Connecting in the constructor is what makes smtplib verify the host
        name (it keeps the name for TLS) and close the socket on every failure.
        """
        conn = self._open_connection()
        with self._idle_lock:
            self._live.add(conn)
        return conn

    def _open_connection(self) -> smtplib.SMTP:
        cfg = self._config
        try:
            if cfg.tls is TlsMode.IMPLICIT:
                return smtplib.SMTP_SSL(
                    cfg.host,
                    cfg.port,
                    local_hostname=_EHLO_NAME,
                    timeout=cfg.timeout,
                    context=self._context,
                )
            return smtplib.SMTP(
                cfg.host, cfg.port, local_hostname=_EHLO_NAME, timeout=cfg.timeout
            )
        except (smtplib.SMTPException, OSError) as e:
            raise self._failure(e, 421) from e

    def _starttls(self, conn: smtplib.SMTP) -> None:
        """Upgrade to TLS (RFC 3207); never carry on in the clear."""
        if not conn.has_extn("starttls"):
            raise _UpstreamFailure(
                421,
                f"upstream {self._config.address} does not offer STARTTLS; "
                "BccGuard will not send without encryption",
            )
        code, reply = conn.starttls(context=self._context)
        if code != 220:
            raise _UpstreamFailure(code, reply_text(reply))
        conn.ehlo()

    def _login(self, conn: smtplib.SMTP) -> None:
        """Authenticate (RFC 4954) when a username is configured."""
        cfg = self._config
        if not cfg.username:
            return
        secret = self._read_secret(cfg.username)
        if not conn.has_extn("auth"):
            raise _UpstreamFailure(
                530, f"upstream {cfg.address} does not offer AUTH; cannot log in"
            )
        try:
            if cfg.auth_mechanism == "xoauth2":
                self._bearer_login(conn, cfg.username, secret)
            else:
                conn.login(cfg.username, secret)
        except smtplib.SMTPAuthenticationError as e:
            raise _UpstreamFailure(
                e.smtp_code,
                f"upstream {cfg.address} refused the login for {cfg.username}: "
                f"{_redactor.redact(reply_text(e.smtp_error))}",
                sign_in=e.smtp_code in (534, 535),  # RFC 4954 §6: the credentials
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise _UpstreamFailure(
                530,
                f"upstream {cfg.address} offers no login method BccGuard can use",
            ) from None

    def _bearer_login(self, conn: smtplib.SMTP, username: str, token: str) -> None:
        """OAuth2 by the mechanism the server advertises (XOAUTH2 first, else
        OAUTHBEARER, RFC 7628); a refused token is renewed and tried once more."""
        offered = conn.esmtp_features.get("auth", "").upper().split()
        mechanism = "OAUTHBEARER" if "XOAUTH2" not in offered else "XOAUTH2"
        if mechanism not in offered:
            raise smtplib.SMTPNotSupportedError("no OAuth2 mechanism offered")
        try:
            conn.auth(mechanism, _Bearer(mechanism, username, token))
        except smtplib.SMTPAuthenticationError as e:
            if self._renew_password is None or e.smtp_code not in (534, 535):
                raise
            renewed = self._renewed(username, token)
            conn.auth(mechanism, _Bearer(mechanism, username, renewed))

    def _renewed(self, username: str, refused: str) -> str:
        """A new token after the server refused ``refused``."""
        assert self._renew_password is not None
        try:
            secret = self._renew_password(refused)
        except SignInNeededError as e:
            raise _UpstreamFailure(535, str(e), sign_in=True) from None
        except OAuthError as e:
            raise _UpstreamFailure(454, str(e)) from None
        if not secret:
            raise _UpstreamFailure(454, f"no token for {username}")
        _redactor.add_secret(secret)
        return secret

    def _read_secret(self, username: str) -> str:
        """Ask the password source; its failure is a temporary one (RFC 4954 454)."""
        assert self._password is not None  # checked in __init__
        try:
            secret = self._password()
        except SignInNeededError as e:  # an expired or revoked OAuth2 grant
            raise _UpstreamFailure(535, str(e), sign_in=True) from None
        except OAuthError as e:
            raise _UpstreamFailure(454, str(e)) from None
        except Exception:
            _log.warning("reading the password for %s failed", username, exc_info=True)
            secret = None
        if not secret:
            raise _UpstreamFailure(
                454, f"no password stored for {username} at {self._config.host}"
            )
        _redactor.add_secret(secret)
        return secret

    def _mail_options(
        self, conn: smtplib.SMTP, size: int, needs_utf8: bool, eight_bit: bool
    ) -> list[str]:
        """Build the MAIL FROM parameters this server understands."""
        options = [f"SIZE={size}"] if conn.has_extn("size") else []
        if needs_utf8:
            if not conn.has_extn("smtputf8"):
                # RFC 6531 §3.2: without SMTPUTF8 upstream, the message must bounce.
                raise _UpstreamFailure(
                    553,
                    f"upstream {self._config.address} does not support SMTPUTF8, "
                    "which this message needs (non-ASCII addresses)",
                )
            options.append("SMTPUTF8")
        if eight_bit:
            if conn.has_extn("8bitmime"):
                options.append("BODY=8BITMIME")
            else:
                _log.warning(
                    "upstream %s lacks 8BITMIME; sending the 8-bit message as is",
                    self._config.address,
                )
        return options

    def _transact(
        self,
        conn: smtplib.SMTP,
        mail_from: str,
        batch: tuple[str, ...],
        data: bytes,
        options: list[str],
        hook: _DotHook,
        *,
        reused: bool = False,
    ) -> BatchOutcome:
        """Run one transaction, keeping upstream's final reply so the client can
        see it; a connection lost midway is a temporary failure (451), and one
        lost after the final dot leaves the batch uncertain."""
        try:
            reply = transact(
                conn,
                mail_from,
                batch,
                data,
                options,
                reused=reused,
                before_final_dot=hook,
                final_reply_timeout=self._config.final_reply_timeout,
            )
        except _DotRefused as refused:
            conn.close()
            return BatchOutcome(batch, 451, f"4.3.0 {refused}")
        except (smtplib.SMTPException, OSError) as e:
            conn.close()
            failure = self._failure(e, 451)
            if hook.fired:
                text = (
                    f"upstream {self._config.address} did not confirm the message "
                    f"after receiving it ({failure.text}): it may have been sent"
                )
                return BatchOutcome(batch, 451, text, dot_sent=True)
            return BatchOutcome(batch, failure.code, failure.text)
        return BatchOutcome(batch, reply.code, reply.text, reply.refused)

    def _failure(self, error: Exception, code: int) -> _UpstreamFailure:
        """Turn a connection-level exception into a code and a clear text."""
        where = f"upstream {self._config.address}"
        if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(
            error.__context__, OSError
        ):
            error = error.__context__  # smtplib wraps a timeout or reset this way
        match error:
            case smtplib.SMTPResponseException():
                return _UpstreamFailure(error.smtp_code, reply_text(error.smtp_error))
            case smtplib.SMTPServerDisconnected() if code == 451:
                text = f"{where} closed the connection before confirming delivery"
            case smtplib.SMTPServerDisconnected():
                text = f"{where} closed the connection unexpectedly"
            case ConnectionRefusedError():
                text = f"{where} unreachable: connection refused"
            case TimeoutError():
                text = f"{where} did not answer within {self._config.timeout:g} s"
            case ssl.SSLCertVerificationError():
                text = (
                    f"{where}: TLS certificate verification failed "
                    f"({error.verify_message})"
                )
            case ssl.SSLError():
                text = f"{where}: TLS failed ({error.reason or error})"
            case socket.gaierror():
                text = f"{where} unreachable: host name not found ({error.strerror})"
            case OSError() if code == 451:
                text = f"{where}: connection lost ({error.strerror or error})"
            case OSError():
                text = f"{where} unreachable: {error.strerror or error}"
            case _:
                text = f"{where} failed: {error}"
        return _UpstreamFailure(code, _redactor.redact(text))


class _DotRefused(RelayError):
    """The caller could not record the coming final dot: it is not sent."""


class _DotHook:
    """Runs the caller's hook before a batch's final dot and remembers that it did."""

    def __init__(self, hook: BeforeFinalDot | None, batch: tuple[str, ...]) -> None:
        self._hook = hook
        self._batch = batch
        self.fired = False

    def __call__(self) -> None:
        if self._hook is not None:
            try:
                self._hook(self._batch)
            except Exception as error:
                _log.error("not sending the final dot: %s", error, exc_info=True)
                raise _DotRefused(
                    f"BccGuard could not record the message: {error}"
                ) from error
        self.fired = True


def _tls_context(config: UpstreamConfig) -> ssl.SSLContext:
    """Verify certificate and host name; add the extra CA bundle if any."""
    context = ssl.create_default_context()
    if config.ca_file:
        try:
            context.load_verify_locations(cafile=config.ca_file)
        except (OSError, ssl.SSLError) as e:
            raise RelayConfigError(
                f"upstream.ca_file: cannot load {config.ca_file}: {e}"
            ) from e
    return context


class _Bearer:
    """smtplib's answer for SASL XOAUTH2 (Google, Microsoft) or OAUTHBEARER
    (RFC 7628 §3.1): the bearer token."""

    def __init__(self, mechanism: str, username: str, token: str) -> None:
        if mechanism == "OAUTHBEARER":
            # RFC 5801 §4: "," and "=" in the authzid are escaped.
            name = username.replace("=", "=3D").replace(",", "=2C")
            self._initial = f"n,a={name},\x01auth=Bearer {token}\x01\x01"
        else:
            self._initial = f"user={username}\x01auth=Bearer {token}\x01\x01"

    @overload
    def __call__(self, challenge: None = None, /) -> str | None: ...
    @overload
    def __call__(self, challenge: bytes, /) -> str: ...
    def __call__(self, challenge: bytes | None = None, /) -> str | None:
        if challenge is None:
            return self._initial
        # The server sent an error as a challenge; RFC 7628 §3.2.3: answer ^A
        # (XOAUTH2 takes an empty line) to end the exchange.
        return "\x01" if self._initial.startswith("n,") else ""


def _quit(conn: smtplib.SMTP) -> None:
    """Say goodbye if the server still listens; always close the socket."""
    try:
        if conn.sock is not None:
            conn.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        conn.close()
