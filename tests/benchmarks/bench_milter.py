"""Benchmark of the milter: Postfix alone against Postfix with ``bccguard milter``.

Run (as root, with Postfix installed): .venv/bin/python tests/benchmarks/bench_milter.py
    [--small N] [--large N] [--large-mib N]

Two private Postfix instances relay to the same counting sink: one alone, one
with ``smtpd_milters`` pointing at ``bccguard milter`` (which checks every message:
the sender's network is trusted, so no SASL is needed to be checked). The same
messages go to each over one SMTP connection, as a mail program sends them: small
ones (two recipients, they pass), then large ones. A third Postfix has a pymilter
milter that only answers (``empty_milter.py``): what the milter protocol costs
by itself. Prints a Markdown table:
throughput until the sink has every message, p50/p99 of the client's wait for
each message's 250, and the ratio against Postfix alone measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from counting_sink import CountingSink
from tests.postfix_server import available as postfix_available
from tests.postfix_server import postfix_relay
from tests.support import wait_for, wait_listening

from bccguard.adapters.demo_sink import free_port

EMPTY = Path(__file__).with_name("empty_milter.py")


def small_message(i: int) -> bytes:
    return (
        "From: me@bench.example\r\nTo: you@bench.example\r\nCc: them@bench.example\r\n"
        f"Subject: small {i}\r\n"
        f"Message-ID: <s{i}-{time.time_ns()}@bench.example>\r\n\r\n"
        + "Hello there.\r\n"
        * 20
    ).encode()


def large_message(i: int, mib: int) -> bytes:
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFy\r\n"
    head = (
        f"From: me@bench.example\r\nTo: you@bench.example\r\nSubject: large {i}\r\n"
        f"Message-ID: <l{i}-{time.time_ns()}@bench.example>\r\n\r\n"
    ).encode()
    return head + line * (mib * 1024 * 1024 // len(line))


@dataclass(frozen=True)
class Row:
    name: str
    messages: int
    seconds: float
    waits: list[float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def p(self, q: float) -> float:
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def send_all(port: int, messages: list[bytes]) -> list[float]:
    """Send ``messages`` over one connection; each one's wait for its 250."""
    waits = []
    with smtplib.SMTP("127.0.0.1", port, timeout=600) as client:
        client.ehlo("bench.example")
        for data in messages:
            began = time.perf_counter()
            client.sendmail(
                "me@bench.example", ["you@bench.example", "them@bench.example"], data
            )
            waits.append(time.perf_counter() - began)
    return waits


def run(
    port: int, sink: CountingSink, messages: list[bytes], connections: int = 1
) -> Row:
    """Send ``messages`` over ``connections`` at once; until the sink has them all."""
    start_count = sink.count
    shares = [messages[i::connections] for i in range(connections)]
    start = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        waits = [w for ws in pool.map(lambda m: send_all(port, m), shares) for w in ws]
    sink.wait_for(start_count + len(messages), limit=600.0)
    return Row("", len(messages), time.perf_counter() - start, waits)


@contextmanager
def milter(
    home: Path, unix: bool, command: tuple[str, ...] = ("-m", "bccguard", "milter")
) -> Iterator[tuple[str, int]]:
    """``bccguard milter`` (or ``command``) checking mail from 127.0.0.0/8;
    yields Postfix's name for its socket, and the process id."""
    port = free_port()
    sockets = Path(tempfile.mkdtemp(prefix="bench-milter-socket-"))
    sockets.chmod(0o755)  # Postfix's cleanup (user postfix) connects to it
    sock = sockets / "milter.sock"
    listen = f"unix:{sock}" if unix else f"inet:{port}@127.0.0.1"
    (home / "milter.toml").write_text('[milter]\ntrusted_networks = ["127.0.0.0/8"]\n')
    process = subprocess.Popen(
        [
            sys.executable,
            *command,
            *(["--listen"] if command[0] == "-m" else []),
            listen,
        ],
        env={**os.environ, "BCCGUARD_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if unix:
            wait_for(sock.exists)
            sock.chmod(0o666)
            yield f"unix:{sock}", process.pid
        else:
            wait_listening(port)
            yield f"inet:127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(15)
        sock.unlink(missing_ok=True)
        sockets.rmdir()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def table(rows: list[tuple[str, Row, Row | None]]) -> list[str]:
    lines = [
        "| path | messages | msg/s | ratio | p50 ms | added p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row, base in rows:
        ratio = f"{row.rate / base.rate:.2f}×" if base else "1.00×"
        added = f"{row.p(0.5) - base.p(0.5):+.2f}" if base else "—"
        lines.append(
            f"| {name} | {row.messages} | {row.rate:.1f} | {ratio} | "
            f"{row.p(0.5):.2f} | {added} | {row.p(0.99):.2f} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=20)
    parser.add_argument("--large-mib", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--unix", action="store_true", help="a unix socket, not TCP")
    args = parser.parse_args()
    missing = postfix_available()
    if missing is not None:
        print(f"{missing}: no benchmark", file=sys.stderr)
        return 2
    sink = CountingSink(pipelining=False)
    controller = Controller(
        sink, hostname="127.0.0.1", port=free_port(), data_size_limit=None
    )
    controller.start()
    rows: list[tuple[str, Row, Row | None]] = []
    try:
        with ExitStack() as stack:
            home = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-milter-"))
            )
            alone_port, with_port = free_port(), free_port()
            stack.enter_context(postfix_relay(alone_port, controller.port))
            socket, pid = stack.enter_context(milter(home, args.unix))
            extra = f"smtpd_milters = {socket}\nmilter_default_action = tempfail\n"
            stack.enter_context(postfix_relay(with_port, controller.port, extra))
            empty_port = free_port()
            empty, _ = stack.enter_context(milter(home, args.unix, (str(EMPTY),)))
            empty_extra = extra.replace(socket, empty)
            stack.enter_context(postfix_relay(empty_port, controller.port, empty_extra))
            run(empty_port, sink, [small_message(i) for i in range(20)])
            run(alone_port, sink, [small_message(i) for i in range(20)])  # warm up
            run(with_port, sink, [small_message(i) for i in range(20)])
            small = [small_message(i) for i in range(args.small)]
            alone = run(alone_port, sink, small)
            cpu = cpu_seconds(pid)
            with_milter = run(
                with_port, sink, [small_message(i) for i in range(args.small)]
            )
            cpu_per_message = (cpu_seconds(pid) - cpu) / args.small * 1000
            empty_row = run(
                empty_port, sink, [small_message(i) for i in range(args.small)]
            )
            rows += [("Postfix alone, small", alone, None)]
            rows += [("Postfix + a milter that only answers, small", empty_row, alone)]
            rows += [("Postfix + bccguard milter, small", with_milter, alone)]
            n = args.connections
            alone_many = run(
                alone_port, sink, [small_message(i) for i in range(args.small)], n
            )
            with_many = run(
                with_port, sink, [small_message(i) for i in range(args.small)], n
            )
            rows += [(f"Postfix alone, small, {n} connections", alone_many, None)]
            rows += [
                (
                    f"Postfix + bccguard milter, small, {n} connections",
                    with_many,
                    alone_many,
                )
            ]
            large = [large_message(i, args.large_mib) for i in range(args.large)]
            alone_large = run(alone_port, sink, large)
            with_large = run(with_port, sink, large)
            rows += [(f"Postfix alone, {args.large_mib} MiB", alone_large, None)]
            rows += [
                (
                    f"Postfix + bccguard milter, {args.large_mib} MiB",
                    with_large,
                    alone_large,
                )
            ]
    finally:
        controller.stop()
    print(
        f"{args.small} small messages ({len(small[0])} bytes) and {args.large} × "
        f"{args.large_mib} MiB (one connection unless said), Postfix relaying to a "
        "local sink:\n"
    )
    print("\n".join(table(rows)))
    print(f"\nThe milter's CPU time: {cpu_per_message:.2f} ms a small message.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
