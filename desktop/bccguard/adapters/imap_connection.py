"""Opening an IMAP session: TLS verified (implicit or STARTTLS), password or XOAUTH2."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import DRAFTS, SENT

from bccguard.core.hosts import is_loopback_host


class ImapError(Exception):
    """The IMAP server could not be reached, refused us, or lacks a folder."""


class FolderRole(StrEnum):
    """Which folder a watcher watches, by purpose."""

    DRAFTS = "drafts"
    SENT = "sent"
    INBOX = "inbox"
    OUTBOX = "outbox"  # a folder the user designates; its name comes from settings


@dataclass(frozen=True, slots=True)
class ImapEndpoint:
    """How to log in to one IMAP account."""

    host: str
    port: int = 993
    tls: str = "implicit"  # implicit | starttls | none (loopback only)
    username: str = ""
    password: Callable[[], str | None] = lambda: None
    oauth2: bool = False  # the secret is an OAuth2 access token (XOAUTH2)
    # OAuth2: given the token the server refused, a renewed one (tried once more).
    renew_password: Callable[[str], str | None] | None = None
    ca_file: str | None = None
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.tls not in ("implicit", "starttls", "none"):
            raise ImapError(
                f"imap.tls: must be implicit, starttls or none, not {self.tls}"
            )
        if self.tls == "none" and not is_loopback_host(self.host):
            raise ImapError(
                "imap.tls: 'none' is allowed only for a server on this machine"
            )

    @property
    def address(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"


def _context(endpoint: ImapEndpoint) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=endpoint.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(endpoint: ImapEndpoint) -> IMAPClient:
    """A logged-in client.

    Raises:
        ImapError: with a message for people (never the password).
    """
    try:
        client = IMAPClient(
            endpoint.host,
            port=endpoint.port,
            ssl=endpoint.tls == "implicit",
            ssl_context=_context(endpoint) if endpoint.tls == "implicit" else None,
            timeout=endpoint.timeout,
        )
    except ssl.SSLError as error:
        raise ImapError(f"{endpoint.address}: TLS failed: {error.reason}") from error
    except OSError as error:
        raise ImapError(f"{endpoint.address} unreachable: {error}") from error
    try:
        if endpoint.tls == "starttls":
            if not client.has_capability("STARTTLS"):
                raise ImapError(
                    f"{endpoint.address} does not offer STARTTLS; not logging in"
                )
            client.starttls(_context(endpoint))
        _login(client, endpoint)
    except ImapError:
        _close(client)
        raise
    except (IMAPClientError, OSError, ssl.SSLError) as error:
        _close(client)
        raise ImapError(f"{endpoint.address}: {error}") from error
    return client


def _login(client: IMAPClient, endpoint: ImapEndpoint) -> None:
    secret = endpoint.password()
    if not secret:
        raise ImapError(
            f"no password stored for {endpoint.username} at {endpoint.host}"
        )
    try:
        if endpoint.oauth2:
            _bearer_login(client, endpoint, secret)
        else:
            client.login(endpoint.username, secret)
    except IMAPClientError as error:
        raise ImapError(
            f"{endpoint.address} refused the login of {endpoint.username}"
        ) from error


def _bearer_login(client: IMAPClient, endpoint: ImapEndpoint, token: str) -> None:
    """OAuth2 by what the server offers (XOAUTH2, else OAUTHBEARER, RFC 7628); a
    refused token is renewed once (it may have been revoked before its expiry)."""
    try:
        _bearer(client, endpoint.username, token)
    except IMAPClientError:
        renewed = endpoint.renew_password(token) if endpoint.renew_password else None
        if not renewed:
            raise
        _bearer(client, endpoint.username, renewed)


def _bearer(client: IMAPClient, username: str, token: str) -> None:
    if not client.has_capability("AUTH=XOAUTH2") and client.has_capability(
        "AUTH=OAUTHBEARER"
    ):
        client.oauthbearer_login(username, token)
    else:
        client.oauth2_login(username, token)


def _close(client: IMAPClient) -> None:
    with contextlib.suppress(IMAPClientError, OSError):
        client.shutdown()


def find_folder(client: IMAPClient, role: FolderRole) -> str:
    """The folder for ``role``: by SPECIAL-USE flag (RFC 6154), else by common names."""
    if role is FolderRole.INBOX:
        return "INBOX"
    if role is FolderRole.OUTBOX:
        raise ImapError(
            "the outbox folder has no standard name; set it in the settings"
        )
    flag = DRAFTS if role is FolderRole.DRAFTS else SENT
    folder = client.find_special_folder(flag)
    if folder is None:
        raise ImapError(f"no {role.value} folder found")
    return str(folder)


def logout(client: IMAPClient) -> None:
    """End a session politely, or at least close the socket."""
    try:
        client.logout()
    except (IMAPClientError, OSError):
        _close(client)
