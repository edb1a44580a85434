"""Benchmark of the IMAP watcher against a real Dovecot.

Run (dovecot-imapd installed): .venv/bin/python tests/benchmarks/bench_imap.py

Prints a table: the time from APPEND to the watcher's callback (p50/p99 over 50
appends, with IDLE), against a bare imapclient IDLE loop in the same run; and the
first scan of 1,000 and 10,000 messages, against one plain FETCH of every header.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from imapclient import IMAPClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.dovecot_server import PASSWORD, USER, Dovecot

from bccguard.adapters.imap_connection import FolderRole, ImapEndpoint
from bccguard.adapters.imap_state_store import ImapStateStore
from bccguard.adapters.imap_watcher import FetchedHeader, FolderWatcher


def message(n: int) -> bytes:
    to = ", ".join(f"p{i}@s{i % 9}.example" for i in range(12))
    return (
        f"From: me@me.example\r\nTo: {to}\r\nSubject: n{n}\r\n"
        f"Message-ID: <b{n}@me.example>\r\n\r\nbody {n}\r\n"
    ).encode()


def client(server: Dovecot) -> IMAPClient:
    imap = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=30)
    imap.login(USER, PASSWORD)
    return imap


def watcher_latency(server: Dovecot, home: Path, count: int) -> list[float]:
    arrived: dict[int, float] = {}
    seen = threading.Event()

    def on_header(item: FetchedHeader) -> bool:
        n = int(item.header.split(b"Subject: n")[1].split(b"\r\n")[0])
        arrived[n] = time.perf_counter()
        seen.set()
        return True

    endpoint = ImapEndpoint("127.0.0.1", server.port, "none", USER, lambda: PASSWORD)
    watcher = FolderWatcher(
        "bench",
        endpoint,
        FolderRole.SENT,
        ImapStateStore(home / "state"),
        on_header,
        lambda *_: None,
    )
    watcher.start()
    time.sleep(1.0)
    latencies = []
    with client(server) as imap:
        for n in range(count):
            seen.clear()
            sent = time.perf_counter()
            imap.append("Sent", message(100_000 + n))
            seen.wait(10)
            latencies.append((arrived[100_000 + n] - sent) * 1000)
            time.sleep(0.05)
    watcher.stop()
    watcher.join(10)
    return latencies


def bare_idle_latency(server: Dovecot, count: int) -> list[float]:
    latencies = []
    with client(server) as watcher, client(server) as writer:
        watcher.select_folder("INBOX", readonly=True)
        for n in range(count):
            watcher.idle()
            sent = time.perf_counter()
            writer.append("INBOX", message(n))
            while not any(
                r[1] == b"EXISTS" for r in watcher.idle_check(5) if len(r) > 1
            ):
                pass
            latencies.append((time.perf_counter() - sent) * 1000)
            watcher.idle_done()
    return latencies


def fill(server: Dovecot, folder: str, count: int) -> None:
    with client(server) as imap:
        imap.create_folder(folder)
        for n in range(count):
            imap.append(folder, message(n))


def first_scan(server: Dovecot, home: Path, folder: str, count: int) -> float:
    done = threading.Event()
    seen = [0]

    def on_header(item: FetchedHeader) -> bool:
        seen[0] += 1
        if seen[0] == count:
            done.set()
        return False

    endpoint = ImapEndpoint("127.0.0.1", server.port, "none", USER, lambda: PASSWORD)
    import bccguard.adapters.imap_watcher as module

    original = module.find_folder
    module.find_folder = lambda _client, _role: folder  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        watcher = FolderWatcher(
            "bench",
            endpoint,
            FolderRole.SENT,
            ImapStateStore(home / f"scan-{folder}"),
            on_header,
            lambda *_: None,
        )
        watcher.start()
        done.wait(600)
        elapsed = time.perf_counter() - start
        watcher.stop()
        watcher.join(10)
    finally:
        module.find_folder = original  # type: ignore[assignment]
    return elapsed


def plain_fetch(server: Dovecot, folder: str) -> float:
    start = time.perf_counter()
    with client(server) as imap:
        imap.select_folder(folder, readonly=True)
        imap.fetch(imap.search(["ALL"]), ["BODY.PEEK[HEADER]"])
    return time.perf_counter() - start


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="bccguard-bench-"))
    server = Dovecot(root)
    server.start()
    try:
        ours = watcher_latency(server, root, 50)
        base = bare_idle_latency(server, 50)
        q_ours = statistics.quantiles(ours, n=100)
        q_base = statistics.quantiles(base, n=100)
        print("| measurement | BccGuard watcher | bare imapclient | ratio |")
        print("|---|---:|---:|---:|")
        print(
            f"| APPEND to event, p50 ms (50 appends, IDLE) | "
            f"{statistics.median(ours):.1f} | {statistics.median(base):.1f} | "
            f"{statistics.median(ours) / statistics.median(base):.1f} |"
        )
        print(
            f"| APPEND to event, p99 ms | {q_ours[98]:.1f} | {q_base[98]:.1f} | "
            f"{q_ours[98] / q_base[98]:.1f} |"
        )
        for count in (1_000, 10_000):
            folder = f"Scan{count}"
            fill(server, folder, count)
            scan = first_scan(server, root, folder, count)
            fetch = plain_fetch(server, folder)
            print(
                f"| first scan of {count:,} messages, s (headers, batches of 500) | "
                f"{scan:.2f} | {fetch:.2f} (one FETCH) | {scan / fetch:.1f} |"
            )
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
