"""Benchmark of a send from Thunderbird with the plugin: compose Send to the SMTP sink.

Run (thunderbird installed): .venv/bin/python tests/benchmarks/bench_plugin.py

A real headless Thunderbird with the built plugin sends one message and then
``--sends`` more (30 visible recipients, converted to Bcc by the policy) one after
another; for each, the time from ``compose.sendMessage`` to the end of DATA at a local
SMTP sink. Three configurations, each in its own Thunderbird:

- no desktop app: the plugin's own policy (the baseline);
- the desktop app's native host on one long-lived port (this plugin);
- the same host reached through ``runtime.sendNativeMessage``, as the plugin did
  before: a new host process for every request.

Prints a Markdown table; the ratios are against the baseline of the same run. The
first send is shown apart (it starts the host); p50 and p90 are over the rest.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.plugin.thunderbird import (
    run_thunderbird,
    write_managed_storage,
)

from bccguard.adapters.demo_sink import free_port
from bccguard.native_host.host import TRACE_ENV
from bccguard.native_host.manifest import install

ROOT = Path(__file__).resolve().parents[2]
NO_OS_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}

# The plugin as it was: `request()` through runtime.sendNativeMessage, which starts
# a host process for every request (appended to native.js in a copy of the .xpi).
SEND_NATIVE_MESSAGE = """
NativeHost.prototype.request = async function request(message) {
  try {
    const runtime = this.browser.runtime;
    const send = Promise.resolve(runtime.sendNativeMessage(HOST_NAME, message));
    const reply = await withTimeout(send.catch(() => null), this.timeoutMs, null);
    return reply && typeof reply === "object" && reply.ok ? reply : null;
  } catch {
    return null;
  }
};
NativeHost.prototype.warmUp = function warmUp() {};
"""


class TimedSink:
    """An SMTP sink that notes when each message (by Subject) has arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        subject = str(message_from_bytes(content).get("Subject", ""))
        self.arrivals[subject] = time.time()
        return "250 2.0.0 OK"


@dataclass
class Measured:
    """One configuration: latency of each send (ms) and host processes started."""

    name: str
    latencies: list[float]
    processes: int

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies[1:])

    @property
    def p90(self) -> float:
        rest = sorted(self.latencies[1:])
        return rest[min(len(rest) - 1, round(0.9 * (len(rest) - 1)))]


def people(n: int, prefix: str) -> list[str]:
    return [f"Person {i} <{prefix}{i}@{prefix}d{i}.example>" for i in range(n)]


def build_xpi(target: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "build_xpi", ROOT / "packaging" / "thunderbird" / "build_xpi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path: Path = module.build(target)
    return path


def with_send_native_message(xpi: Path, target: Path) -> Path:
    """A copy of the plugin whose host requests go through sendNativeMessage."""
    with zipfile.ZipFile(xpi) as source, zipfile.ZipFile(target, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "modules/native.js":
                data += SEND_NATIVE_MESSAGE.encode("utf-8")
            copy.writestr(info, data)
    return target


def measure(name: str, xpi: Path, sends: int, *, host: bool) -> Measured:
    """Send ``sends + 1`` messages in one Thunderbird, with or without the desktop
    app's host installed, and time each from Send to the sink."""
    with tempfile.TemporaryDirectory(prefix="bench-plugin-") as folder:
        work = Path(folder)
        home, data = work / "home", work / "bccguard-home"
        home.mkdir()
        data.mkdir()
        write_managed_storage(home, {"action": "convert"})
        if host:
            install("Linux", user_home=home, data_dir=data)
        trace = work / "trace.jsonl"
        env = {"BCCGUARD_HOME": str(data), TRACE_ENV: str(trace), **NO_OS_KEYRING}
        sink = TimedSink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()
        try:
            messages = [
                {"to": people(20, "p"), "cc": people(10, "c"), "subject": f"Bench {n}"}
                for n in range(sends + 1)
            ]
            scenario = {"messages": messages, "pauseMs": 200, "sendTimeoutMs": 20000}
            run = run_thunderbird(
                work,
                xpi=xpi,
                smtp_port=controller.port,
                scenario=scenario,
                env=env,
                timeout=60 + 5 * sends,
            )
        finally:
            controller.stop()
        result: dict[str, Any] = run.result or {}
        if result.get("outcome") != "sent-all":
            raise SystemExit(f"{name}: the sends failed\n{run.log}")
        latencies = [
            sink.arrivals[f"Bench {n}"] * 1000 - r["sentAt"]
            for n, r in enumerate(result["results"])
        ]
        lines = trace.read_text(encoding="utf-8").splitlines() if trace.exists() else []
        processes = len({json.loads(line)["pid"] for line in lines})
        return Measured(name, latencies, processes)


def table(rows: list[Measured], sends: int) -> str:
    base = rows[0]
    head = (
        f"| Thunderbird send, 30 recipients, to the sink ({sends} sends) "
        "| first send ms | p50 ms | p90 ms | p50 x no app | p50 + ms "
        "| host processes |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    body = [
        f"| {r.name} | {r.latencies[0]:.0f} | {r.p50:.0f} | {r.p90:.0f} "
        f"| {r.p50 / base.p50:.2f} | {r.p50 - base.p50:+.0f} | {r.processes} |"
        for r in rows
    ]
    return "\n".join([head, *body])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-xpi-") as folder:
        xpi = build_xpi(Path(folder) / "bccguard.xpi")
        before = with_send_native_message(xpi, Path(folder) / "before.xpi")
        sends = args.sends
        rows = [
            measure("no desktop app (plugin's own policy)", xpi, sends, host=False),
            measure("desktop app, one port (this plugin)", xpi, sends, host=True),
            measure(
                "desktop app, a process per request (sendNativeMessage, before)",
                before,
                sends,
                host=True,
            ),
        ]
    print(table(rows, args.sends))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
