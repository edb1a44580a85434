"""The golden corpus on disk, and how to run the real CLI against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"
CORPUS = DATA / "corpus"


def load_corpus() -> dict[str, dict[str, Any]]:
    """corpus.json: file name -> expected outcome and the check options used."""
    entries: dict[str, dict[str, Any]] = json.loads(
        (DATA / "corpus.json").read_text(encoding="utf-8")
    )
    return entries


_ENV = {**os.environ, "PYTHONWARNINGS": "error"}


def run_cli(
    *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m bccguard`` in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "bccguard", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
        env=_ENV,
    )


def start_cli(*args: str) -> subprocess.Popen[bytes]:
    """Start ``python -m bccguard`` with its output going to pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "bccguard", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_ENV,
    )
