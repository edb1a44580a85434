"""Node packages the tests use, pinned in a package.json with its lock file and
installed with `npm ci` the first time a test needs them (CI starts clean)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest


def pinned_version(folder: Path, name: str) -> str:
    """The version of ``name`` that ``folder``'s package.json pins."""
    package = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    version: str = package["devDependencies"][name]
    return version


def installed_version(folder: Path, name: str) -> str | None:
    """The version of ``name`` installed in ``folder``, or None."""
    try:
        package = folder / "node_modules" / name / "package.json"
        version: str = json.loads(package.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version


def ensure_installed(folder: Path, name: str) -> None:
    """The pinned ``name`` in ``folder``/node_modules, installed first if needed."""
    if installed_version(folder, name) == pinned_version(folder, name):
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed (.ci/install-system-packages installs it)")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert installed_version(folder, name) == pinned_version(folder, name)
