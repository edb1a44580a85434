"""Benchmark of the SMTP guard's pass-through path against sending straight to the sink.

Run: .venv/bin/python tests/benchmarks/bench_proxy.py [--small N] [--far-small N]
     [--far-ms MS] [--large N] [--large-mib N] [--connections N]

Starts a real aiosmtpd sink in this process (offering PIPELINING, as submission
servers do) and ``bccguard serve`` as a separate process relaying to it, then sends
the same messages each way as a mail client does (pipelining where offered): over
one connection, then over several connections at once from separate processes, then
large messages. Where Postfix is installed and this runs as root, a private Postfix
relaying to the same sink makes a third path: a real MTA doing the same hop (it
queues, so its time is counted until the sink has every message). The small
messages run twice: with the sink on loopback, and with it `--far-ms` away behind a
forwarder that delays every byte. Prints Markdown tables: throughput, p50/p99
latency, the proxy's CPU time and peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from counting_sink import CountingSink
from distance import far_away
from tests.postfix_server import available as postfix_available
from tests.postfix_server import postfix_relay

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.smtp_transaction import transact


def small_message(i: int) -> bytes:
    return (
        f"From: me@bench.example\r\nTo: you@bench.example\r\nSubject: small {i}\r\n"
        f"Message-ID: <s{i}@bench.example>\r\n\r\n" + "Hello there.\r\n" * 20
    ).encode()


_SENDS = itertools.count()


def fresh(messages: list[bytes]) -> list[bytes]:
    """The messages with Message-IDs not used before: BccGuard takes a message
    sent again with the same Message-ID, envelope and body for a mail program's
    retry and does not relay it a second time."""
    tag = f".{next(_SENDS)}@bench.example>".encode()
    return [m.replace(b"@bench.example>", tag, 1) for m in messages]


def large_message(i: int, size: int) -> bytes:
    head = (
        f"From: me@bench.example\r\nTo: you@bench.example\r\nSubject: large {i}\r\n"
        f"Message-ID: <l{i}@bench.example>\r\n\r\n"
    ).encode()
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFy\r\n"
    return head + line * (size // len(line))


RCPT = "you@bench.example"


def one_connection(port: int, secret: str | None, messages: list[bytes]) -> list[float]:
    """Send over one connection; per-message latencies in ms."""
    latencies = []
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.ehlo()
        if secret:
            client.login("bench", secret)
        for data in messages:
            t0 = time.perf_counter()
            reply = transact(
                client, "me@bench.example", ["you@bench.example"], data, []
            )
            if reply.code != 250:
                raise RuntimeError(f"refused: {reply.code} {reply.text}")
            latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def _ready(_: int) -> None:
    """A task that only proves a worker process has started."""


@dataclass(frozen=True)
class Run:
    """One batch of messages sent one way."""

    seconds: float  # until the sink had every message
    latencies: list[float]  # ms, as the client saw each
    count: int

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98]


@dataclass(frozen=True)
class Route:
    """One way to the sink: its port and the secret it wants, if any."""

    name: str
    port: int
    secret: str | None = None
    pid: int | None = None  # the BccGuard process, for CPU and memory


def timed(
    sink: CountingSink,
    route: Route,
    messages: list[bytes],
    pool: multiprocessing.pool.Pool | None,
    connections: int = 1,
) -> Run:
    """Send `messages` over `connections` connections at once (worker processes),
    and wait until the sink has them all."""
    expected = sink.count + len(messages)
    messages = fresh(messages)
    chunks = [messages[i::connections] for i in range(connections)]
    start = time.perf_counter()
    if pool is None:
        latencies = one_connection(route.port, route.secret, messages)
    else:
        parts = pool.starmap(
            one_connection, [(route.port, route.secret, chunk) for chunk in chunks]
        )
        latencies = [ms for part in parts for ms in part]
    sink.wait_for(expected)
    return Run(time.perf_counter() - start, latencies, len(messages))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def ratio(run: Run, base: Run) -> str:
    return f"{base.rate / run.rate:.2f}"


def measure(
    sink: CountingSink,
    routes: list[Route],
    small: list[bytes],
    large: list[bytes],
    connections: int,
) -> tuple[list[str], list[str]]:
    """Run every path; the small-message table and the large-message table."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(connections) as pool:
        pool.map(_ready, range(connections))
        for route in routes:  # warm up every path
            timed(sink, route, small[:50], None)
            timed(sink, route, small[: 50 * connections], pool, connections)
        base_one = base_many = base_large = None
        small_rows = [
            f"| path | one connection msg/s | p50 ms | p99 ms | time x direct | "
            f"{connections} connections msg/s | time x direct | CPU ms/msg |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        large_rows = [
            "| path | MiB/s | p50 ms | time x direct | proxy peak RSS |",
            "|---|---:|---:|---:|---:|",
        ]
        mib = len(large[0]) / 2**20 if large else 0
        for route in routes:
            cpu0 = cpu_seconds(route.pid) if route.pid else 0.0
            one = timed(sink, route, small, None)
            many = timed(sink, route, small, pool, connections)
            cpu = (
                f"{(cpu_seconds(route.pid) - cpu0) * 1000 / (2 * len(small)):.2f}"
                if route.pid
                else "-"
            )
            base_one, base_many = base_one or one, base_many or many
            small_rows.append(
                f"| {route.name} | {one.rate:,.0f} | {one.p50:.2f} | {one.p99:.2f} | "
                f"{ratio(one, base_one)} | {many.rate:,.0f} | "
                f"{ratio(many, base_many)} | {cpu} |"
            )
            if not large:
                continue
            idle_rss = peak_rss_mib(route.pid) if route.pid else 0.0
            big = timed(sink, route, large, None)
            base_large = base_large or big
            rss = "-"
            if route.pid:
                peak = peak_rss_mib(route.pid)
                rss = f"{peak:.0f} MiB ({(peak - idle_rss) / mib:.1f}x message)"
            large_rows.append(
                f"| {route.name} | {big.rate * mib:,.1f} | {big.p50:.0f} | "
                f"{ratio(big, base_large)} | {rss} |"
            )
    return small_rows, large_rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--far-small", type=int, default=200)
    parser.add_argument("--far-ms", type=float, default=20.0)
    parser.add_argument("--large", type=int, default=20)
    parser.add_argument("--large-mib", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
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
    postfix_missing = postfix_available()
    try:
        near = measure_routes(sink, sink_port, 0, small, large, args.connections)
        far = measure_routes(
            sink, sink_port, args.far_ms, small[: args.far_small], [], args.connections
        )
    finally:
        controller.stop()
    print(f"{args.small} small messages ({len(small[0])} bytes), sink on loopback:\n")
    print("\n".join(near[0]))
    print(
        f"\n{args.far_small} small messages, sink {args.far_ms:g} ms away "
        f"(round trip):\n"
    )
    print("\n".join(far[0]))
    if large:
        print(f"\n{args.large} messages of {args.large_mib} MiB, one connection:\n")
        print("\n".join(near[1]))
    if postfix_missing:
        print(f"\n{postfix_missing} here: no Postfix row.")
    return 0


def measure_routes(
    sink: CountingSink,
    sink_port: int,
    round_trip_ms: float,
    small: list[bytes],
    large: list[bytes],
    connections: int,
) -> tuple[list[str], list[str]]:
    """Every route to a sink `round_trip_ms` away: straight, BccGuard, Postfix."""
    largest = max((len(m) for m in large), default=1 << 20)
    with ExitStack() as stack:
        upstream = sink_port
        if round_trip_ms:
            upstream = stack.enter_context(far_away(sink_port, round_trip_ms))
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        port, secret, pid = stack.enter_context(guard_process(home, upstream, largest))
        routes = [
            Route("direct to sink", upstream),
            Route("through BccGuard", port, secret, pid),
        ]
        if postfix_available() is None:
            postfix_port = free_port()
            stack.enter_context(postfix_relay(postfix_port, upstream))
            routes.append(Route("through Postfix", postfix_port))
        return measure(sink, routes, small, large, connections)


if __name__ == "__main__":
    raise SystemExit(main())
