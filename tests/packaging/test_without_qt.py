"""Every command but the tray app runs where Qt (or the whole desktop part) is missing.

A fresh interpreter is told that PySide6 (and, for bccguard-server, ``bccguard.ui``)
cannot be imported, as in an install without them; the installed-wheel test does
the same with real installs (tests/packaging/test_installed_wheels.py).
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import bccguard
from bccguard.cli import build_parser
from bccguard.cli_desktop import NO_QT_LINE, SERVER_PACKAGE_LINE

ROOT = Path(__file__).resolve().parents[2]
QT = "PySide6,shiboken6"
SERVER = QT + ",bccguard.ui"
# Blocks the modules, runs the command lines given as a JSON list of lists,
# and fails if Qt got imported after all.
DRIVER = """
import json, sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
from bccguard.cli import main
codes = []
for line in json.loads(sys.argv[2]):
    try:
        codes.append(main(line))
    except SystemExit as leaving:  # --help
        codes.append(leaving.code or 0)
loaded = [m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6")
          and sys.modules[m] is not None]
assert not loaded, loaded
print("\\nCODES", *codes)
"""


def run(
    blocked: str, *lines: list[str], home: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BCCGUARD_HOME": str(home), "HOME": str(home)}
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-c", DRIVER, blocked, json.dumps(lines)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def codes(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The exit codes the driver printed last, one per command line."""
    assert done.returncode == 0, done.stderr
    last = done.stdout.rstrip("\n").rpartition("\n")[2].split()
    assert last[0] == "CODES", done.stdout
    return last[1:]


def command_paths(parser: argparse.ArgumentParser) -> list[list[str]]:
    """Every subcommand's words, e.g. ["held", "release"], depth first."""
    found: list[list[str]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append([name])
                found.extend([name, *rest] for rest in command_paths(sub))
    return found


def test_the_tray_without_the_desktop_part_says_so_in_one_line(tmp_path: Path) -> None:
    done = run(SERVER, [], ["--demo"], home=tmp_path)
    assert codes(done) == ["2", "2"]
    assert done.stderr == (SERVER_PACKAGE_LINE + "\n") * 2


def test_the_tray_without_qt_says_so_in_one_line(tmp_path: Path) -> None:
    done = run(QT, [], home=tmp_path)
    assert codes(done) == ["2"]
    assert done.stderr == NO_QT_LINE + "\n"


def test_every_command_answers_help_without_the_desktop_part(tmp_path: Path) -> None:
    paths = command_paths(build_parser())
    assert ["held", "release"] in paths and ["install-thunderbird"] in paths
    done = run(SERVER, *([*p, "--help"] for p in paths), home=tmp_path)
    assert codes(done) == ["0"] * len(paths)


def test_commands_run_without_the_desktop_part(tmp_path: Path) -> None:
    eml = ROOT / "tests" / "data" / "corpus" / "addresses-in-body.eml"
    out = tmp_path / "converted.eml"
    profile = tmp_path / "profile"
    profile.mkdir()
    done = run(
        SERVER,
        ["check", str(eml)],
        ["convert", str(eml), "-o", str(out)],
        ["incidents", "list"],
        ["account", "list"],
        ["held", "list"],  # no guard running: read from its store
        ["install-thunderbird", "--profile", str(profile)],
        home=tmp_path,
    )
    exits = codes(done)
    assert exits[0] in ("0", "1") and exits[1:] == ["0"] * 5
    assert "Traceback" not in done.stderr
    assert "No held messages." in done.stdout
    assert (profile / "extensions" / "bccguard@bccguard.org.xpi").is_file()
    assert out.is_file()


IMPORTS = """
import importlib, sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
for name in sys.argv[2:]:
    importlib.import_module(name)
"""


def test_every_module_but_the_desktop_part_imports_without_qt() -> None:
    """What bccguard-server installs: no module of it needs Qt, even one no
    command's --help reaches (``__main__`` modules run when imported)."""
    names = [
        info.name
        for info in pkgutil.walk_packages(bccguard.__path__, "bccguard.")
        if not info.name.startswith("bccguard.ui")
        and not info.name.endswith("__main__")
    ]
    assert "bccguard.service.guard" in names and "bccguard.native_host.host" in names
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS, SERVER, *names],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
