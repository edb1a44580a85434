"""``bccguard`` run as a user runs it: a process of this interpreter in its own home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# What serve says once its proxy listens.
SERVE_READY = "is guarding on"


def bccguard_command(*args: str) -> list[str]:
    """The command line of ``bccguard`` with ``args``."""
    return [sys.executable, "-m", "bccguard", *args]


def bccguard_environment(home: Path, **more: str) -> dict[str, str]:
    """This environment with ``home`` as BccGuard's, output unbuffered, and ``more``."""
    return {
        **os.environ,
        "BCCGUARD_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        **more,
    }


def run_bccguard(
    env: dict[str, str], *args: str, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """``bccguard args`` to its end, its output and errors kept apart as text."""
    return subprocess.run(
        bccguard_command(*args),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_bccguard(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """``bccguard args`` started, its output and errors in one text pipe."""
    return subprocess.Popen(
        bccguard_command(*args),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
