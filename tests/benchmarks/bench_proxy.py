"""Benchmark of the SMTP guard's pass-through path against sending straight to the sink.

Run: .venv/bin/python tests/benchmarks/bench_proxy.py [--small N] [--large N]

Starts a real aiosmtpd sink in this process and ``bccguard serve`` as a separate
process relaying to it, then sends the same messages both ways with smtplib over one
connection each, and prints a Markdown table: throughput, p50/p99 latency and the
proxy's peak RSS (VmHWM). With Postfix installed and running on port 25 it would make
a third row; without it the row is omitted and said so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bccguard.adapters.demo_sink import free_port


class CountingSink:
    """Accepts everything and counts; keeps no message bytes."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.count += 1
        return "250 2.0.0 ok"


def small_message(i: int) -> bytes:
    return (
        f"From: me@bench.example\r\nTo: you@bench.example\r\nSubject: small {i}\r\n"
        f"Message-ID: <s{i}@bench.example>\r\n\r\n" + "Hello there.\r\n" * 20
    ).encode()


def large_message(i: int, size: int) -> bytes:
    head = (
        f"From: me@bench.example\r\nTo: you@bench.example\r\nSubject: large {i}\r\n"
        f"Message-ID: <l{i}@bench.example>\r\n\r\n"
    ).encode()
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFy\r\n"
    return head + line * (size // len(line))


def run(
    port: int, secret: str | None, messages: list[bytes]
) -> tuple[float, list[float]]:
    """Seconds in all and per-message latencies (ms) over one connection."""
    latencies = []
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        if secret:
            client.login("bench", secret)
        for data in messages:
            t0 = time.perf_counter()
            client.sendmail("me@bench.example", ["you@bench.example"], data)
            latencies.append((time.perf_counter() - t0) * 1000)
    return time.perf_counter() - start, latencies


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def guard_process(
    home: Path, sink_port: int, large: int
) -> Iterator[tuple[int, str, int]]:
    port = free_port()
    (home / "config.toml").write_text(
        f"[proxy]\nport = {port}\nmax_message_size = {large * 3}\n\n[[accounts]]\n"
        f'name = "bench"\nemail = "me@bench.example"\nsmtp_host = "127.0.0.1"\n'
        f'smtp_port = {sink_port}\nsmtp_tls = "none"\n'
    )
    env = {**os.environ, "BCCGUARD_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bccguard", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    secret = subprocess.run(
        [sys.executable, "-m", "bccguard", "secret"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        yield port, secret, proc.pid
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stdout.close()


def row(
    name: str, total: float, lat: list[float], count: int, mib: float, rss: str
) -> str:
    q = statistics.quantiles(lat, n=100)
    return (
        f"| {name} | {count / total:,.0f} msg/s ({mib * count / total:,.1f} MiB/s) | "
        f"{statistics.median(lat):.2f} | {q[98]:.2f} | {rss} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20)
    parser.add_argument("--large-mib", type=int, default=10)
    args = parser.parse_args()
    large_size = args.large_mib * 2**20
    sink = CountingSink()
    sink_port = free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=sink_port, data_size_limit=large_size * 3
    )
    controller.start()
    small = [small_message(i) for i in range(args.small)]
    large = [large_message(i, large_size) for i in range(args.large)]
    small_mib = len(small[0]) / 2**20
    lines = [
        "| path | throughput | p50 ms | p99 ms | proxy peak RSS |",
        "|---|---:|---:|---:|---:|",
    ]
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            guard_process(Path(tmp), sink_port, large_size) as (port, secret, pid),
        ):
            run(port, secret, small[:50])  # warm-up both paths
            run(sink_port, None, small[:50])
            direct = run(sink_port, None, small)
            proxied = run(port, secret, small)
            lines.append(
                row(
                    f"{args.small} small, direct to sink",
                    *direct,
                    args.small,
                    small_mib,
                    "-",
                )
            )
            lines.append(
                row(
                    f"{args.small} small, through BccGuard",
                    *proxied,
                    args.small,
                    small_mib,
                    "-",
                )
            )
            big_direct = run(sink_port, None, large)
            idle_rss = peak_rss_mib(pid)
            big_proxied = run(port, secret, large)
            rss = peak_rss_mib(pid)
            lines.append(
                row(
                    f"{args.large} x {args.large_mib} MiB, direct to sink",
                    *big_direct,
                    args.large,
                    args.large_mib,
                    "-",
                )
            )
            lines.append(
                row(
                    f"{args.large} x {args.large_mib} MiB, through BccGuard",
                    *big_proxied,
                    args.large,
                    args.large_mib,
                    f"{rss:.0f} MiB ({(rss - idle_rss) / args.large_mib:.1f}x message)",
                )
            )
    finally:
        controller.stop()
    overhead = (proxied[0] / direct[0] - 1) * 100
    p50_added = statistics.median(proxied[1]) - statistics.median(direct[1])
    print("\n".join(lines))
    print(
        f"\nsmall-message overhead: {overhead:+.0f}% total time, "
        f"{p50_added:+.2f} ms p50"
    )
    if not shutil.which("postfix"):
        print("Postfix is not installed here: no Postfix row.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
