"""Working with an account's folders over IMAP: drafts listed, read, saved and
replaced, and a sent message filed away. Each call opens its own short session."""

from __future__ import annotations

from dataclasses import dataclass

from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import DRAFT as DRAFT_FLAG
from imapclient.imapclient import SEEN as SEEN_FLAG

from bccguard.adapters.imap_connection import (
    FolderRole,
    ImapEndpoint,
    ImapError,
    connect,
    find_folder,
    logout,
)
from bccguard.core.address_list import decode_words
from bccguard.core.header_block import parse_header_block


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
        logout(client)
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
        logout(client)
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
        logout(client)
    if data is None:
        raise ImapError(f"draft {uid} is no longer in Drafts")
    return bytes(data)


def _append_then_remove(
    endpoint: ImapEndpoint,
    target: FolderRole,
    flag: bytes,
    data: bytes,
    uid: int,
    source: str | None = None,
) -> str:
    """APPEND ``data`` to ``target``, then remove message ``uid`` from ``source``
    (default: the target itself). In this order, so a failure never loses a message.

    Returns:
        The name of the target folder.
    """
    client = connect(endpoint)
    try:
        folder = find_folder(client, target)
        client.append(folder, data, flags=(flag,))
        client.select_folder(source or folder)
        client.delete_messages([uid])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()
    except IMAPClientError as error:
        raise ImapError(f"{endpoint.address}: {error}") from error
    finally:
        logout(client)
    return folder


def replace_draft(endpoint: ImapEndpoint, uid: int, data: bytes) -> str:
    """Put ``data`` in Drafts in place of draft ``uid``."""
    folder = _append_then_remove(endpoint, FolderRole.DRAFTS, DRAFT_FLAG, data, uid)
    return f"draft replaced in {folder}"


def file_as_sent(
    endpoint: ImapEndpoint, outbox: str, uid: int, sent_copy: bytes
) -> str:
    """After the relay: a copy in Sent (flagged \\Seen), the outbox message removed."""
    folder = _append_then_remove(
        endpoint, FolderRole.SENT, SEEN_FLAG, sent_copy, uid, source=outbox
    )
    return f"filed in {folder}"


def in_sent_folder(endpoint: ImapEndpoint, message_id: str) -> bool:
    """Whether the account's Sent folder holds a message with ``message_id``
    (Gmail, Microsoft 365 and others file mail sent over SMTP there themselves).

    Raises:
        ImapError: the server cannot be reached, refuses us, or has no Sent folder.
    """
    wanted = message_id.strip()
    if not wanted:
        return False
    client = connect(endpoint)
    try:
        client.select_folder(find_folder(client, FolderRole.SENT), readonly=True)
        # RFC 3501 §6.4.4: HEADER matches a substring; the angle brackets keep
        # <a@x> from matching <aa@x>.
        found = client.search(["HEADER", "Message-ID", wanted])
    except IMAPClientError as error:
        raise ImapError(f"{endpoint.address}: {error}") from error
    finally:
        logout(client)
    return bool(found)


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
