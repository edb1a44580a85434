"""Start-up time and idle cost of the tray app.

Run: .venv/bin/python tests/benchmarks/measure_app.py [--idle SECONDS]

Starts ``bccguard --demo`` in a throwaway home (offscreen Qt unless DISPLAY is set),
times it from launch to "ready" (the app logs when its event loop starts), then
samples its RSS and CPU time while it idles. A bare Python and a bare Qt
application are measured the same way as baselines in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def launch(
    command: list[str], ready: Path | None, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``command``; seconds until its log says ready (or it prints READY)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if ready is not None and ready.exists() and "ready in" in ready.read_text():
            return proc, time.perf_counter() - started
        if ready is None:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() == b"READY":
                return proc, time.perf_counter() - started
        time.sleep(0.005)
    proc.kill()
    raise SystemExit(f"{command} did not get ready")


def idle(proc: subprocess.Popen[bytes], seconds: float) -> tuple[float, float]:
    """Peak RSS (MiB) and average CPU (%) over ``seconds`` of idling."""
    before = cpu_seconds(proc.pid)
    peak = 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        peak = max(peak, rss_mib(proc.pid))
        time.sleep(0.5)
    used = cpu_seconds(proc.pid) - before
    return peak, used / seconds * 100


BARE_QT = (
    "from PySide6.QtWidgets import QApplication; import sys; "
    "app = QApplication(sys.argv); print('READY', flush=True); app.exec()"
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=60.0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "BCCGUARD_HOME": home}
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        for name, command, ready in (
            (
                "python (no Qt)",
                [
                    sys.executable,
                    "-c",
                    "print('READY', flush=True); import time; time.sleep(1e6)",
                ],
                None,
            ),
            ("bare Qt application", [sys.executable, "-c", BARE_QT], None),
            (
                "bccguard --demo",
                [sys.executable, "-m", "bccguard", "--demo"],
                Path(home) / "logs" / "bccguard.log",
            ),
        ):
            proc, startup = launch(command, ready, env)
            try:
                peak, cpu = idle(proc, args.idle)
            finally:
                proc.terminate()
                proc.wait(10)
                if proc.stdout:
                    proc.stdout.close()
            rows.append((name, startup, peak, cpu))
    print(
        f"| program | ready in s | idle RSS MiB (peak over {args.idle:.0f} s) "
        "| idle CPU % |"
    )
    print("|---|---:|---:|---:|")
    for name, startup, peak, cpu in rows:
        print(f"| {name} | {startup:.2f} | {peak:.0f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
