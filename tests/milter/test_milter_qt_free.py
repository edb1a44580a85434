"""A server install without Qt: every milter module and its command line import
with Qt absent (a fresh interpreter in which ``import PySide6`` fails)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bccguard.milter
from tests.core.test_qt_free import SCRIPT


def test_the_milter_imports_without_qt() -> None:
    names = [
        info.name
        for info in pkgutil.walk_packages(bccguard.milter.__path__, "bccguard.milter.")
    ]
    assert "bccguard.milter.server" in names
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *names, "bccguard.cli_milter", "bccguard.cli"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
