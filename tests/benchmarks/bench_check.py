"""Benchmark of the recipient check: time and peak memory by message shape.

Run: .venv/bin/python tests/benchmarks/bench_check.py

Prints a table; the baseline row is Python's own ``email`` header parser reading the
same To field (``email.message_from_bytes`` + ``getaddresses``), so the ratio column
says how BccGuard's lenient reader compares with the standard one in the same run.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path

from bccguard.core.header_block import read_header_part
from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.core.verdict import check


def message(recipients: int, attachment_bytes: int = 0) -> bytes:
    """A message with ``recipients`` named To addresses and an optional attachment."""
    to = ",\r\n ".join(
        f"Person {i} <person{i}@domain{i % 97}.example>" for i in range(recipients)
    )
    head = (
        f"From: Sender <me@sender.example>\r\nTo: {to}\r\nSubject: bench\r\n"
        "Message-ID: <bench@sender.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    ).encode()
    body = b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    if attachment_bytes:
        line = (
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFy\r\n"
        )
        body += b"--b\r\nContent-Type: application/octet-stream\r\n"
        body += b"Content-Transfer-Encoding: base64\r\n\r\n"
        body += line * (attachment_bytes // len(line))
    return head + body + b"--b--\r\n"


def measure(func: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median milliseconds over ``repeat`` runs, and peak MiB of one traced run."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def bccguard_check(raw: bytes) -> Callable[[], object]:
    return lambda: check(read_message(raw), Policy())


def bccguard_check_file(path: Path) -> Callable[[], object]:
    def run() -> object:
        with path.open("rb") as handle:
            return check(read_message(read_header_part(handle)), Policy())

    return run


def stdlib_parse(raw: bytes) -> Callable[[], object]:
    def run() -> object:
        parsed = message_from_bytes(raw, policy=policy.compat32)
        return getaddresses(parsed.get_all("To", []))

    return run


def main() -> int:
    rows = []
    for count in (10, 1_000, 10_000):
        raw = message(count)
        ours = measure(bccguard_check(raw), 20 if count < 10_000 else 7)
        base = measure(stdlib_parse(raw), 20 if count < 10_000 else 7)
        rows.append((f"{count:,} recipients ({len(raw) / 1024:,.0f} KiB)", ours, base))
    big = message(50, attachment_bytes=25 * 2**20)
    with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as handle:
        handle.write(big)
        path = Path(handle.name)
    try:
        ours = measure(bccguard_check_file(path), 5)
        base = measure(stdlib_parse(big), 3)
        rows.append(
            (f"25 MiB attachment, from file ({len(big) / 2**20:.0f} MiB)", ours, base)
        )
    finally:
        os.unlink(path)
    out = io.StringIO()
    out.write(
        "| message | bccguard check ms | peak MiB | stdlib parse ms | peak MiB "
        "| time ratio |\n"
    )
    out.write("|---|---:|---:|---:|---:|---:|\n")
    for name, (ms, mib), (base_ms, base_mib) in rows:
        out.write(
            f"| {name} | {ms:.2f} | {mib:.2f} | {base_ms:.2f} | {base_mib:.2f} | "
            f"{ms / base_ms:.2f} |\n"
        )
    sys.stdout.write(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
