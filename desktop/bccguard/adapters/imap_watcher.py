"""Watching one IMAP folder: catch up by UID, then IDLE (or NOOP polling), forever.

Headers only (``BODY.PEEK[HEADER]`` on a read-only SELECT: nothing is marked read),
in batches; state saved after each batch; reconnect with exponential backoff and
jitter; re-IDLE well before the 29 minutes of RFC 2177.

An OAuth2 account whose grant is gone (expired, revoked) is not retried: the
watcher says the account needs a sign-in and waits until it got one (told so, or
seeing new tokens stored by any BccGuard process).
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from bccguard.adapters.imap_connection import (
    FolderRole,
    ImapEndpoint,
    ImapError,
    connect,
    find_folder,
)
from bccguard.adapters.imap_state_store import ImapStateStore
from bccguard.adapters.oauth2_client import SignInNeededError
from bccguard.core.header_block import find_body_offset, parse_header_block
from bccguard.core.mailbox_sync import FolderState, batches

log = logging.getLogger(__name__)

IDLE_REFRESH = 10 * 60  # seconds; RFC 2177 servers may drop IDLE after 29 minutes
POLL_INTERVAL = 30.0
SIGN_IN_POLL = 5.0  # seconds between looks at the stored tokens, waiting for a sign-in
SIGN_IN_RETRY = 30 * 60.0  # seconds after which a login is tried anyway
VERIFY_AFTER = 2.0  # seconds of the short IDLE that follows each catch-up
FETCH_BATCH = 500
_HEADER_KEY = b"BODY[HEADER]"


@dataclass(frozen=True, slots=True)
class FetchedHeader:
    """One message's header block, as a watcher read it."""

    account: str
    role: FolderRole
    folder: str
    uid: int
    header: bytes
    internal_date: datetime | None
    message_id: str
    first_scan: bool
    message: bytes = b""  # the whole message, read for the outbox only


class RetryLater(Exception):
    """Raised by a handler that could not finish with a message yet (the outbox
    when the SMTP upstream is down): the watcher tries it again later."""


# Called for each new message; True when it was reported (so never again).
OnHeader = Callable[[FetchedHeader], bool]
# account, "ok" | "error" | "sign-in" (the grant is gone: sign in again), detail
OnStatus = Callable[[str, str, str], None]
# What is stored for the account's sign-in (compared, never logged): a change means
# someone signed in again.
SignInProbe = Callable[[], object]


def _header_end(raw: bytes) -> int:
    offset = find_body_offset(raw)
    return len(raw) if offset is None else offset


def needs_sign_in(error: BaseException) -> bool:
    """True when ``error`` comes from a lost OAuth2 grant (the user must sign in)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, SignInNeededError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _announces_change(responses: list[tuple[object, ...]]) -> bool:
    """True when untagged responses say messages came or went."""
    return any(r[1] in (b"EXISTS", b"EXPUNGE") for r in responses if len(r) > 1)


class FolderWatcher(threading.Thread):
    """A thread that follows one folder of one account."""

    def __init__(
        self,
        account: str,
        endpoint: ImapEndpoint,
        role: FolderRole,
        store: ImapStateStore,
        on_header: OnHeader,
        on_status: OnStatus,
        *,
        idle_refresh: float = IDLE_REFRESH,
        poll_interval: float = POLL_INTERVAL,
        batch: int = FETCH_BATCH,
        max_backoff: float = 300.0,
        folder_name: str | None = None,
        retry_interval: float = 60.0,
        sign_in_probe: SignInProbe | None = None,
        sign_in_poll: float = SIGN_IN_POLL,
        sign_in_retry: float = SIGN_IN_RETRY,
    ) -> None:
        super().__init__(name=f"imap-{account}-{role.value}", daemon=True)
        self.account = account
        self.endpoint = endpoint
        self.role = role
        self.store = store
        self.on_header = on_header
        self.on_status = on_status
        self.idle_refresh = idle_refresh
        self.poll_interval = poll_interval
        self.batch = batch
        self.max_backoff = max_backoff
        self.folder_name = folder_name
        self.retry_interval = retry_interval
        self.sign_in_probe = sign_in_probe
        self.sign_in_poll = sign_in_poll
        self.sign_in_retry = sign_in_retry
        self.waiting_for_sign_in = False
        self._retry_pending = False
        self._stopping = threading.Event()
        self._signed_in = threading.Event()
        self.sessions = 0  # how many times it connected (tests, status)

    def stop(self) -> None:
        """Ask the thread to finish (within about a second)."""
        self._stopping.set()
        self._signed_in.set()

    def signed_in(self) -> None:
        """The account was signed in again: log in now if waiting for that."""
        self._signed_in.set()

    def run(self) -> None:
        """Connect, watch, and reconnect with backoff until stopped."""
        failures = 0
        while not self._stopping.is_set():
            try:
                self._session()
                failures = 0
            except (ImapError, IMAPClientError, OSError) as error:
                if needs_sign_in(error):
                    self._await_sign_in(error)
                    failures = 0
                    continue
                failures += 1
                delay = min(self.max_backoff, 2 ** min(failures, 10)) * random.uniform(
                    0.5, 1.0
                )
                log.warning(
                    "imap %s/%s: %s; retry in %.0f s",
                    self.account,
                    self.role.value,
                    error,
                    delay,
                )
                self.on_status(self.account, "error", str(error))
                self._stopping.wait(delay)
            except Exception as error:  # the boundary: a bug must not end watching
                log.exception("imap %s/%s failed", self.account, self.role.value)
                self.on_status(self.account, "error", f"internal error: {error}")
                self._stopping.wait(self.max_backoff)

    def _await_sign_in(self, error: BaseException) -> None:
        """Say the account needs a sign-in, and wait for one (or for stop)."""
        log.warning(
            "imap %s/%s: %s; waiting for a sign-in",
            self.account,
            self.role.value,
            error,
        )
        self.waiting_for_sign_in = True
        self.on_status(self.account, "sign-in", str(error))
        before = self._probe()
        self._signed_in.clear()
        waited = 0.0
        try:
            while not self._stopping.is_set() and waited < self.sign_in_retry:
                if self._signed_in.wait(self.sign_in_poll):
                    break
                waited += self.sign_in_poll
                if self._probe() != before:
                    break
        finally:
            self.waiting_for_sign_in = False
        if not self._stopping.is_set():
            log.info("imap %s/%s: signed in; logging in", self.account, self.role.value)

    def _probe(self) -> object:
        if self.sign_in_probe is None:
            return None
        try:
            return self.sign_in_probe()
        except Exception:  # a keyring hiccup: look again next time
            log.debug("reading the stored sign-in failed", exc_info=True)
            return None

    def _session(self) -> None:
        client = connect(self.endpoint)
        self.sessions += 1
        try:
            folder = self.folder_name or find_folder(client, self.role)
            info = client.select_folder(folder, readonly=True)
            uidvalidity = int(info[b"UIDVALIDITY"])
            state = self.store.load(self.account, folder)
            if state.needs_rescan(uidvalidity) and state.uidvalidity:
                log.info(
                    "imap %s/%s: UIDVALIDITY changed; rescanning", self.account, folder
                )
            state = state.start(uidvalidity)
            self.on_status(self.account, "ok", folder)
            state = self._catch_up(client, folder, state)
            idle = client.has_capability("IDLE")
            # A message that lands between the catch-up's SEARCH and the start of
            # IDLE may be announced before IDLE listens; so the first IDLE after a
            # catch-up is short and followed by one more catch-up.
            verify = True
            while not self._stopping.is_set():
                if not idle:
                    self._wait_poll(client)
                    state = self._catch_up(client, folder, state)
                    continue
                limit = VERIFY_AFTER if verify else self.idle_refresh
                retry = self._retry_pending
                if retry:
                    limit = min(limit, self.retry_interval)
                event = self._wait_idle(client, limit)
                if event or verify or retry:
                    state = self._catch_up(client, folder, state)
                verify = event
        finally:
            try:
                client.logout()
            except (IMAPClientError, OSError):
                with contextlib.suppress(IMAPClientError, OSError):
                    client.shutdown()  # the connection is gone: close our end

    def _wait_idle(self, client: IMAPClient, limit: float) -> bool:
        """IDLE until something arrives, ``limit`` seconds pass, or stop.

        Returns:
            True when the server announced a change.
        """
        client.idle()
        started = time.monotonic()
        changed = False
        try:
            while not self._stopping.is_set() and time.monotonic() - started < limit:
                asked = time.monotonic()
                responses = client.idle_check(timeout=min(1.0, limit))
                if not responses and time.monotonic() - asked < 0.5 * min(1.0, limit):
                    # imapclient reports EOF as "no responses" at once (the socket
                    # polled readable but held no line): the server went away.
                    raise ImapError(f"{self.endpoint.address} closed the connection")
                if _announces_change(responses):
                    changed = True
                    break
        finally:
            _, late = client.idle_done()
        return changed or _announces_change(late)

    def _wait_poll(self, client: IMAPClient) -> bool:
        self._stopping.wait(self.poll_interval)
        client.noop()
        return True

    def _catch_up(
        self, client: IMAPClient, folder: str, state: FolderState
    ) -> FolderState:
        """Read every message above the last UID seen; returns the new state."""
        first = state.first_scan()
        found = client.search(["UID", f"{state.last_uid + 1}:*"])
        uids = [int(u) for u in found if int(u) > state.last_uid]
        self._retry_pending = False
        whole = self.role is FolderRole.OUTBOX
        items = ["BODY.PEEK[]" if whole else "BODY.PEEK[HEADER]", "INTERNALDATE"]
        for chunk in batches(uids, self.batch):
            if self._stopping.is_set() or self._retry_pending:
                break
            fetched = client.fetch(chunk, items)
            reported: list[str] = []
            for uid in chunk:
                data = fetched.get(uid) or {}
                body = data.get(b"BODY[]" if whole else _HEADER_KEY)
                if body is None:  # expunged between SEARCH and FETCH
                    state = state.advanced(uid)
                    continue
                raw = bytes(body)
                header = raw if not whole else raw[: _header_end(raw)]
                message_id = parse_header_block(header).first_text("message-id")
                if state.was_reported(message_id):
                    state = state.advanced(uid)
                    continue
                item = FetchedHeader(
                    self.account,
                    self.role,
                    folder,
                    uid,
                    header,
                    data.get(b"INTERNALDATE"),
                    message_id,
                    first,
                    raw if whole else b"",
                )
                try:
                    if self.on_header(item):
                        reported.append(message_id)
                except RetryLater as later:
                    log.info(
                        "imap %s/%s uid %d: later (%s)",
                        self.account,
                        folder,
                        uid,
                        later,
                    )
                    self._retry_pending = True
                    break
                except Exception:  # one bad message must not stop the watcher
                    log.exception(
                        "imap %s/%s uid %d: check failed", self.account, folder, uid
                    )
                state = state.advanced(uid)
            state = state.with_reported(reported)
            self.store.save(self.account, folder, state)
        if not uids and first:
            self.store.save(self.account, folder, state)
        return state
