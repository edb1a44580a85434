"""The core and the command line never import Qt (checked in a fresh interpreter)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bccguard.core

SCRIPT = """
import importlib, sys
sys.modules["PySide6"] = None  # any "import PySide6..." now raises ImportError
for name in sys.argv[1:]:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.startswith("PySide6.") or m == "shiboken6")
assert not leaked, leaked
"""


def core_modules() -> list[str]:
    found = [
        info.name
        for info in pkgutil.walk_packages(bccguard.core.__path__, "bccguard.core.")
    ]
    return ["bccguard.core", *found, "bccguard.i18n", "bccguard.cli"]


def test_module_list_is_complete() -> None:
    names = core_modules()
    assert "bccguard.core.address_list" in names
    assert "bccguard.core.rules.unreadable_recipients" in names


def test_core_and_cli_import_without_qt() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *core_modules()],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
