"""Trying an account's servers with its real credentials: SMTP AUTH and IMAP LOGIN.

Each failure is sorted into one kind that a person can act on: the name does not
exist, the server cannot be reached, TLS failed, the password was refused, or the
provider wants an app password (2-step verification). Nothing is sent.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from imapclient.exceptions import IMAPClientError

from bccguard.adapters.imap_connection import ImapEndpoint, ImapError, connect, logout
from bccguard.adapters.log_redaction import SecretRedactingFilter
from bccguard.adapters.smtp_relay import _Bearer
from bccguard.core.discovery import MailServers, Server
from bccguard.core.hosts import is_loopback_host
from bccguard.core.phrase import Phrase

_log = logging.getLogger(__name__)
_log.addFilter(SecretRedactingFilter())
_EHLO_NAME = "[127.0.0.1]"  # as the relay says it (smtp_relay.py)

# What providers answer when the normal password is right but not enough: Gmail's
# "534 5.7.9 Application-specific password required" (SMTP) and "[ALERT]
# Application-specific password required" (IMAP), Yahoo's and Apple's
# "app password", Microsoft's "5.7.139 ... basic authentication is disabled".
_TWO_STEP_WORDS = (
    "application specific password",
    "app password",
    "5.7.9",
    "webalert",
    "second factor",
    "secondfactor",
    "basic authentication is disabled",
)


class FailureKind(StrEnum):
    """Why a server could not be used; each has its own message and remedy."""

    NAME_NOT_FOUND = "name-not-found"
    UNREACHABLE = "unreachable"
    TLS = "tls"
    PASSWORD_REFUSED = "password-refused"
    APP_PASSWORD_NEEDED = "app-password-needed"
    OTHER = "other"


# The command line's words (Phrases: English, or the user's language at the edge);
# the UI has its own, longer table.
FAILURE_TEXT = {
    FailureKind.NAME_NOT_FOUND: Phrase("the server name was not found"),
    FailureKind.UNREACHABLE: Phrase("the server did not answer"),
    FailureKind.TLS: Phrase("the secure connection (TLS) failed"),
    FailureKind.PASSWORD_REFUSED: Phrase("the user name or password was refused"),
    FailureKind.APP_PASSWORD_NEEDED: Phrase(
        "2-step verification is on: the provider wants an app password"
    ),
    FailureKind.OTHER: Phrase("the server refused"),
}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One server's outcome: ``kind`` None when it worked; ``detail`` the cause."""

    service: str  # "smtp" | "imap"
    server: Server
    kind: FailureKind | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the server accepted the credentials."""
        return self.kind is None

    def describe(self) -> Phrase:
        """One line for the command line (a Phrase: English, translatable)."""
        where = f"{self.service.upper()} {self.server.host}:{self.server.port}"
        if self.kind is None:
            return Phrase("{where}: signed in", where=where)
        return Phrase(
            "{where}: {failure} ({detail})",
            where=where,
            failure=FAILURE_TEXT[self.kind],
            detail=self.detail,
        )


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """Every server's outcome."""

    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """True when every server accepted the credentials."""
        return all(r.ok for r in self.results)


def _is_two_step(text: str) -> bool:
    words = re.sub(r"[\s_-]+", " ", text.lower())
    return any(word in words for word in _TWO_STEP_WORDS)


def _imap_words(error: IMAPClientError) -> str:
    """The server's words (imapclient puts the reply's bytes repr in the error)."""
    text = str(error)
    match = re.fullmatch(r"b(['\"])(.*)\1", text)
    return match.group(2) if match else text


def _network_failure(error: BaseException) -> tuple[FailureKind, str]:
    if isinstance(error, socket.gaierror):
        return FailureKind.NAME_NOT_FOUND, str(error.strerror or error)
    if isinstance(error, ssl.SSLCertVerificationError):
        return FailureKind.TLS, str(error.verify_message or error.reason)
    if isinstance(error, ssl.SSLError):
        return FailureKind.TLS, str(error.reason or error)
    return FailureKind.UNREACHABLE, str(error) or type(error).__name__


def _in_the_clear(service: str, server: Server) -> CheckResult | None:
    """A password never crosses a network unencrypted (as in the relay)."""
    if server.tls == "none" and not is_loopback_host(server.host):
        return CheckResult(service, server, FailureKind.TLS, "no encryption offered")
    return None


def _reply(error: smtplib.SMTPResponseException) -> str:
    words = error.smtp_error
    if isinstance(words, bytes):
        words = words.decode("utf-8", "replace")
    return f"{error.smtp_code} {words}"


def _context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def check_smtp(
    server: Server,
    username: str,
    password: str,
    *,
    oauth2: bool = False,
    ca_file: str | None = None,
    timeout: float = 20.0,
) -> CheckResult:
    """Connect, secure the line as configured, and AUTH; then QUIT.

    With ``oauth2`` the password is an access token, sent by the mechanism the
    server offers (XOAUTH2, else OAUTHBEARER), as the relay does.
    """
    if refused := _in_the_clear("smtp", server):
        return refused
    conn: smtplib.SMTP | None = None
    try:
        if server.tls == "implicit":
            conn = smtplib.SMTP_SSL(
                server.host,
                server.port,
                local_hostname=_EHLO_NAME,
                timeout=timeout,
                context=_context(ca_file),
            )
        else:
            conn = smtplib.SMTP(
                server.host, server.port, local_hostname=_EHLO_NAME, timeout=timeout
            )
            if server.tls == "starttls":
                conn.ehlo()
                if not conn.has_extn("starttls"):
                    return CheckResult(
                        "smtp", server, FailureKind.TLS, "STARTTLS not offered"
                    )
                conn.starttls(context=_context(ca_file))
        conn.ehlo()
        if oauth2:
            _bearer_login(conn, username, password)
        else:
            conn.login(username, password)
    except smtplib.SMTPAuthenticationError as error:
        text = _reply(error)
        kind = (
            FailureKind.APP_PASSWORD_NEEDED
            if _is_two_step(text)
            else FailureKind.PASSWORD_REFUSED
        )
        return CheckResult("smtp", server, kind, text)
    except smtplib.SMTPNotSupportedError as error:
        return CheckResult("smtp", server, FailureKind.OTHER, str(error))
    except smtplib.SMTPResponseException as error:
        text = _reply(error)
        return CheckResult("smtp", server, FailureKind.OTHER, text)
    except (OSError, smtplib.SMTPException) as error:
        kind, detail = _network_failure(error)
        return CheckResult("smtp", server, kind, detail)
    finally:
        if conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                conn.quit()
    return CheckResult("smtp", server)


def _bearer_login(conn: smtplib.SMTP, username: str, token: str) -> None:
    offered = conn.esmtp_features.get("auth", "").upper().split()
    mechanism = "XOAUTH2" if "XOAUTH2" in offered else "OAUTHBEARER"
    if mechanism not in offered:
        raise smtplib.SMTPNotSupportedError("the server offers no OAuth2 login")
    conn.auth(mechanism, _Bearer(mechanism, username, token))


def check_imap(
    server: Server,
    username: str,
    password: str,
    *,
    oauth2: bool = False,
    ca_file: str | None = None,
    timeout: float = 20.0,
) -> CheckResult:
    """LOGIN (or AUTHENTICATE XOAUTH2) over the configured TLS; then LOGOUT."""
    if refused := _in_the_clear("imap", server):
        return refused
    try:
        endpoint = ImapEndpoint(
            host=server.host,
            port=server.port,
            tls=server.tls,
            username=username,
            password=lambda: password,
            oauth2=oauth2,
            ca_file=ca_file,
            timeout=timeout,
        )
        client = connect(endpoint)
    except ImapError as error:
        cause = error.__cause__
        if isinstance(cause, IMAPClientError):
            text = _imap_words(cause)
            kind = (
                FailureKind.APP_PASSWORD_NEEDED
                if _is_two_step(text)
                else FailureKind.PASSWORD_REFUSED
            )
            return CheckResult("imap", server, kind, text)
        if isinstance(cause, OSError):  # ssl.SSLError is an OSError too
            kind, detail = _network_failure(cause)
            return CheckResult("imap", server, kind, detail)
        if "STARTTLS" in str(error):
            return CheckResult("imap", server, FailureKind.TLS, str(error))
        return CheckResult("imap", server, FailureKind.OTHER, str(error))
    logout(client)
    return CheckResult("imap", server)


def try_account(
    servers: MailServers,
    username: str,
    password: str,
    *,
    ca_file: str | None = None,
    progress: Callable[[str], None] | None = None,
    oauth2: bool = False,
) -> ConnectionReport:
    """Try the outgoing server, then the incoming one, with the same credentials.

    Args:
        progress: told "smtp" and "imap" as each check starts (for a progress bar).
        oauth2: ``password`` is an OAuth2 access token.
    """
    results = []
    if progress:
        progress("smtp")
    results.append(
        check_smtp(servers.smtp, username, password, oauth2=oauth2, ca_file=ca_file)
    )
    if servers.imap is not None:
        if progress:
            progress("imap")
        imap_user = servers.imap.username or username
        results.append(
            check_imap(
                servers.imap, imap_user, password, oauth2=oauth2, ca_file=ca_file
            )
        )
    for result in results:
        _log.info("connection test: %s", result.describe())
    return ConnectionReport(tuple(results))
