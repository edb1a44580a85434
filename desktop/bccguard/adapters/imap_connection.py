"""Opening an IMAP session: TLS verified (implicit or STARTTLS), password or XOAUTH2."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import DRAFT as DRAFT_FLAG
from imapclient.imapclient import DRAFTS, SENT
from imapclient.imapclient import SEEN as SEEN_FLAG

from bccguard.adapters.smtp_relay import is_loopback_host
from bccguard.core.address_list import decode_words
from bccguard.core.header_block import parse_header_block


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
            client.oauth2_login(endpoint.username, secret)
        else:
            client.login(endpoint.username, secret)
    except IMAPClientError as error:
        raise ImapError(
            f"{endpoint.address} refused the login of {endpoint.username}"
        ) from error


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


def save_draft(endpoint: ImapEndpoint, data: bytes) -> str:
    """APPEND ``data`` to the account's Drafts folder, flagged \\Draft; the reply text.

    Raises:
        ImapError: the server cannot be reached, refuses us, or has no Drafts folder.
    """
    client = connect(endpoint)
    try:
        folder = find_folder(client, FolderRole.DRAFTS)
        reply = client.append(folder, data, flags=(DRAFT_FLAG,))
    except IMAPClientError as error:
        raise ImapError(f"{endpoint.address}: {error}") from error
    finally:
        _logout(client)
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"saved to {folder}: {text}"


@dataclass(frozen=True, slots=True)
class DraftSummary:
    """One message in the Drafts folder, as the draft picker lists it."""

    uid: int
    subject: str
    date: str
    header: bytes


def list_drafts(endpoint: ImapEndpoint, limit: int = 200) -> list[DraftSummary]:
    """The newest drafts (headers only, nothing marked read), newest first."""
    client = connect(endpoint)
    try:
        folder = find_folder(client, FolderRole.DRAFTS)
        client.select_folder(folder, readonly=True)
        uids = sorted(int(u) for u in client.search(["ALL"]))[-limit:]
        fetched = client.fetch(uids, ["BODY.PEEK[HEADER]"]) if uids else {}
    except IMAPClientError as error:
        raise ImapError(f"{endpoint.address}: {error}") from error
    finally:
        _logout(client)
    drafts = []
    for uid in reversed(uids):
        header = bytes(fetched.get(uid, {}).get(b"BODY[HEADER]", b"") or b"")
        block = parse_header_block(header)
        drafts.append(
            DraftSummary(
                uid,
                decode_words(block.first_text("subject")),
                block.first_text("date"),
                header,
            )
        )
    return drafts


def fetch_draft(endpoint: ImapEndpoint, uid: int) -> bytes:
    """The whole draft with ``uid`` (read with BODY.PEEK: nothing is marked read)."""
    client = connect(endpoint)
    try:
        folder = find_folder(client, FolderRole.DRAFTS)
        client.select_folder(folder, readonly=True)
        data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
    except IMAPClientError as error:
        raise ImapError(f"{endpoint.address}: {error}") from error
    finally:
        _logout(client)
    if data is None:
        raise ImapError(f"draft {uid} is no longer in Drafts")
    return bytes(data)


def replace_draft(endpoint: ImapEndpoint, uid: int, data: bytes) -> str:
    """Put ``data`` in Drafts in place of draft ``uid``: the new one is appended
    first, so a failure never loses the draft; then the old one is removed."""
    client = connect(endpoint)
    try:
        folder = find_folder(client, FolderRole.DRAFTS)
        client.append(folder, data, flags=(DRAFT_FLAG,))
        client.select_folder(folder)
        client.delete_messages([uid])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()
    except IMAPClientError as error:
        raise ImapError(f"{endpoint.address}: {error}") from error
    finally:
        _logout(client)
    return f"draft replaced in {folder}"


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        _close(client)


class ImapDraftsFolder:
    """One account's Drafts folder, for the check window's draft picker."""

    def __init__(self, name: str, endpoint: ImapEndpoint) -> None:
        self.name = name
        self.endpoint = endpoint

    def list(self) -> list[DraftSummary]:
        """The newest drafts, headers only."""
        return list_drafts(self.endpoint)

    def fetch(self, uid: int) -> bytes:
        """One whole draft."""
        return fetch_draft(self.endpoint, uid)

    def replace(self, uid: int, data: bytes) -> str:
        """Put ``data`` in place of draft ``uid``."""
        return replace_draft(self.endpoint, uid, data)


def file_as_sent(
    endpoint: ImapEndpoint, outbox: str, uid: int, sent_copy: bytes
) -> str:
    """After the relay: a copy in Sent (flagged \\Seen), then the outbox message
    removed; in this order, so a failure never loses the message."""
    client = connect(endpoint)
    try:
        sent = find_folder(client, FolderRole.SENT)
        client.append(sent, sent_copy, flags=(SEEN_FLAG,))
        client.select_folder(outbox)
        client.delete_messages([uid])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()
    except IMAPClientError as error:
        raise ImapError(f"{endpoint.address}: {error}") from error
    finally:
        _logout(client)
    return f"filed in {sent}"
