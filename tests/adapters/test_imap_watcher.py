"""The IMAP folder watcher against a real Dovecot: events, restarts, UIDVALIDITY."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from bccguard.adapters.imap_connection import (
    FolderRole,
    ImapEndpoint,
    ImapError,
    connect,
)
from bccguard.adapters.imap_state_store import ImapStateStore
from bccguard.adapters.imap_watcher import FetchedHeader, FolderWatcher
from tests.dovecot_server import PASSWORD, USER, Dovecot
from tests.support import wait_for


def endpoint(server: Dovecot, password: str = PASSWORD) -> ImapEndpoint:
    return server.endpoint(password)


def message(n: int, recipients: int = 3, msgid: str | None = None) -> bytes:
    to = ", ".join(f"p{i}@d{i % 5}.example" for i in range(recipients))
    return (
        f"From: me@me.example\r\nTo: {to}\r\nSubject: n{n}\r\n"
        f"Message-ID: {msgid or f'<m{n}@me.example>'}\r\n\r\nbody {n}\r\n"
    ).encode()


class Seen:
    def __init__(self) -> None:
        self.items: list[FetchedHeader] = []
        self.statuses: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def on_header(self, item: FetchedHeader) -> bool:
        with self.lock:
            self.items.append(item)
        return True

    def on_status(self, account: str, status: str, detail: str) -> None:
        self.statuses.append((status, detail))

    def subjects(self) -> list[str]:
        with self.lock:
            return [
                i.header.split(b"Subject: ")[1].split(b"\r\n")[0].decode()
                for i in self.items
            ]


@pytest.fixture
def watch(dovecot: Dovecot, tmp_path: Path) -> Iterator[Callable[..., FolderWatcher]]:
    started: list[FolderWatcher] = []
    store = ImapStateStore(tmp_path / "imap-state")

    def make(role: FolderRole, seen: Seen, **kwargs: object) -> FolderWatcher:
        watcher = FolderWatcher(
            "alice",
            endpoint(dovecot),
            role,
            store,
            seen.on_header,
            seen.on_status,
            **kwargs,
        )  # type: ignore[arg-type]
        watcher.start()
        started.append(watcher)
        return watcher

    yield make
    for watcher in started:
        watcher.stop()
    for watcher in started:
        watcher.join(10)


def test_finds_special_folders_and_sees_appends(dovecot: Dovecot, watch) -> None:
    seen = Seen()
    watch(FolderRole.SENT, seen)
    wait_for(lambda: ("ok", "Sent") in seen.statuses)
    dovecot.append("Sent", message(1, recipients=40))
    wait_for(lambda: seen.subjects() == ["n1"])
    item = seen.items[0]
    assert item.role is FolderRole.SENT and item.folder == "Sent"
    assert b"p39@d4.example" in item.header
    assert b"body 1" not in item.header  # headers only


def test_nothing_is_marked_read(dovecot: Dovecot, watch) -> None:
    dovecot.append("INBOX", message(1))
    seen = Seen()
    watch(FolderRole.INBOX, seen)
    wait_for(lambda: len(seen.items) == 1)
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(USER, PASSWORD)
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UNSEEN"]) == [1]


def test_restart_neither_realerts_nor_misses(dovecot: Dovecot, tmp_path: Path) -> None:
    store = ImapStateStore(tmp_path / "state")
    dovecot.append("Drafts", message(1), message(2))
    seen = Seen()
    first = FolderWatcher(
        "alice",
        endpoint(dovecot),
        FolderRole.DRAFTS,
        store,
        seen.on_header,
        seen.on_status,
    )
    first.start()
    wait_for(lambda: len(seen.items) == 2)
    first.stop()
    first.join(10)
    dovecot.append("Drafts", message(3))  # arrives while BccGuard is down
    again = Seen()
    second = FolderWatcher(
        "alice",
        endpoint(dovecot),
        FolderRole.DRAFTS,
        store,
        again.on_header,
        again.on_status,
    )
    second.start()
    try:
        wait_for(lambda: again.subjects() == ["n3"])
        time.sleep(0.5)
        assert again.subjects() == ["n3"]
    finally:
        second.stop()
        second.join(10)


def test_server_restart_mid_idle_recovers(dovecot: Dovecot, watch) -> None:
    seen = Seen()
    watcher = watch(FolderRole.SENT, seen, max_backoff=1.0)
    wait_for(lambda: ("ok", "Sent") in seen.statuses)
    dovecot.stop()
    wait_for(lambda: any(s == "error" for s, _ in seen.statuses))
    dovecot.start()
    dovecot.append("Sent", message(7))
    wait_for(lambda: "n7" in seen.subjects(), timeout=30)
    assert watcher.sessions >= 2


def test_uidvalidity_change_rescans_without_duplicate_alerts(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    store = ImapStateStore(tmp_path / "state")
    dovecot.append("Sent", message(1), message(2))
    seen = Seen()
    watcher = FolderWatcher(
        "alice",
        endpoint(dovecot),
        FolderRole.SENT,
        store,
        seen.on_header,
        seen.on_status,
    )
    watcher.start()
    wait_for(lambda: len(seen.items) == 2)
    watcher.stop()
    watcher.join(10)
    # Recreate the folder: same messages, new UIDVALIDITY.
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(USER, PASSWORD)
        client.rename_folder("Sent", "Old")
        client.create_folder("Sent")
        client.append("Sent", message(1))
        client.append("Sent", message(2))
        client.append("Sent", message(3))
    state = store.load("alice", "Sent")
    again = Seen()
    watcher = FolderWatcher(
        "alice",
        endpoint(dovecot),
        FolderRole.SENT,
        store,
        again.on_header,
        again.on_status,
    )
    watcher.start()
    try:
        wait_for(lambda: "n3" in again.subjects())
        time.sleep(0.5)
        assert again.subjects() == ["n3"]
        assert store.load("alice", "Sent").uidvalidity != state.uidvalidity
    finally:
        watcher.stop()
        watcher.join(10)


def test_malformed_messages_do_not_stop_the_watcher(dovecot: Dovecot, watch) -> None:
    junk = b"\x00\x01\xff garbage without headers\r\n\r\n\x00"
    broken = (
        b'To: "unterminated <a@x.example>, (comment\r\nSubject: broken\r\n\r\nx\r\n'
    )
    failing = Seen()
    calls: list[int] = []

    def explode_once(item: FetchedHeader) -> bool:
        calls.append(item.uid)
        if len(calls) == 1:
            raise ValueError("a bug in a check")
        return failing.on_header(item)

    watcher = FolderWatcher(
        "alice",
        endpoint(dovecot),
        FolderRole.INBOX,
        ImapStateStore(dovecot.root / "state-x"),
        explode_once,
        failing.on_status,
    )
    watcher.start()
    try:
        dovecot.append("INBOX", junk, broken, message(9))
        wait_for(lambda: "n9" in failing.subjects())
        assert len(calls) == 3
    finally:
        watcher.stop()
        watcher.join(10)


def test_wrong_password_is_a_clear_error(dovecot: Dovecot) -> None:
    with pytest.raises(ImapError, match="refused the login"):
        connect(endpoint(dovecot, password="wrong"))


def test_plain_imap_only_on_loopback() -> None:
    with pytest.raises(ImapError, match="only for a server on this machine"):
        ImapEndpoint(host="imap.example.com", tls="none")


def test_polling_where_idle_is_not_used(dovecot: Dovecot, watch, monkeypatch) -> None:
    monkeypatch.setattr(
        IMAPClient, "has_capability", lambda self, cap: cap.upper() != "IDLE"
    )
    seen = Seen()
    watch(FolderRole.SENT, seen, poll_interval=0.2)
    wait_for(lambda: ("ok", "Sent") in seen.statuses)
    dovecot.append("Sent", message(4))
    wait_for(lambda: seen.subjects() == ["n4"])


def test_large_mailbox_first_scan_is_batched(dovecot: Dovecot, watch) -> None:
    count = 10_000
    dovecot.append("Sent", *(message(i) for i in range(count)))
    seen = Seen()
    fetches: list[int] = []
    original = IMAPClient.fetch

    def counting_fetch(self, uids, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        fetches.append(len(uids))
        return original(self, uids, data, *args, **kwargs)

    IMAPClient.fetch = counting_fetch  # type: ignore[method-assign]
    try:
        watch(FolderRole.SENT, seen, batch=500)
        wait_for(lambda: len(seen.items) == count, timeout=120)
    finally:
        IMAPClient.fetch = original  # type: ignore[method-assign]
    assert max(fetches) <= 500
    assert len(fetches) == count // 500
    assert all(b"body" not in item.header for item in seen.items)


def test_xoauth2_login(dovecot_oauth: Dovecot) -> None:
    from tests.conftest import OAUTH_TOKEN

    endpoint = dovecot_oauth.endpoint(OAUTH_TOKEN, oauth2=True)
    client = connect(endpoint)
    try:
        assert "INBOX" in [name for _, _, name in client.list_folders()]
    finally:
        client.logout()
    expired = dovecot_oauth.endpoint("an-expired-token", oauth2=True)
    with pytest.raises(ImapError, match="refused the login"):
        connect(expired)


@pytest.fixture
def dovecot_tls(certs) -> Iterator[Dovecot]:  # type: ignore[no-untyped-def]
    issued = certs.ca.issue_cert("127.0.0.1", "localhost")
    chain = "".join(blob.bytes().decode() for blob in issued.cert_chain_pems)
    root = Path(tempfile.mkdtemp(prefix="bccguard-dovecot-"))
    server = Dovecot(root, tls_cert=(chain, issued.private_key_pem.bytes().decode()))
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_implicit_tls_is_verified(dovecot_tls: Dovecot, certs) -> None:  # type: ignore[no-untyped-def]
    trusted = dovecot_tls.endpoint(tls="implicit", ca_file=certs.ca_file)
    client = connect(trusted)
    client.logout()
    stranger = dovecot_tls.endpoint(tls="implicit", ca_file=certs.wrong_ca_file)
    with pytest.raises(ImapError, match="TLS"):
        connect(stranger)


def test_starttls_is_required_when_asked_for(dovecot_tls: Dovecot, certs) -> None:  # type: ignore[no-untyped-def]
    endpoint = dovecot_tls.endpoint(tls="starttls", ca_file=certs.ca_file)
    client = connect(endpoint)
    client.logout()


def test_a_message_expunged_between_search_and_fetch_is_skipped(
    dovecot: Dovecot, watch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another client deleting the message mid-scan must not hand on an empty one."""
    real_fetch = IMAPClient.fetch
    expunged: list[int] = []

    def fetch_after_someone_expunges(self, messages, data, modifiers=None):  # type: ignore[no-untyped-def]
        if not expunged and list(messages):
            with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as other:
                other.login(USER, PASSWORD)
                other.select_folder("Outbox")
                uids = other.search(["SUBJECT", "n1"])
                other.delete_messages(uids)
                other.expunge()
                expunged.extend(uids)
        return real_fetch(self, messages, data, modifiers)

    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(USER, PASSWORD)
        client.create_folder("Outbox")
    dovecot.append("Outbox", message(1))
    monkeypatch.setattr(IMAPClient, "fetch", fetch_after_someone_expunges)
    seen = Seen()
    watch(FolderRole.OUTBOX, seen, folder_name="Outbox")
    wait_for(lambda: ("ok", "Outbox") in seen.statuses and expunged)
    dovecot.append("Outbox", message(2))
    wait_for(lambda: seen.subjects() == ["n2"])
    assert all(item.message for item in seen.items)
