"""The plugin's JSDoc types, checked by TypeScript: ``tsc -p plugin`` (checkJs, noEmit).

TypeScript comes from npm at the version pinned in tests/plugin/package.json (and
its package-lock.json), installed with ``npm ci`` into tests/plugin/node_modules
when it is missing or another version; no build step, nothing is emitted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE_MODULES = HERE / "node_modules"


def pinned_version() -> str:
    package = json.loads((HERE / "package.json").read_text(encoding="utf-8"))
    version: str = package["devDependencies"]["typescript"]
    return version


def installed_version() -> str | None:
    try:
        package = NODE_MODULES / "typescript" / "package.json"
        version: str = json.loads(package.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version


def typescript() -> Path:
    """The pinned tsc, installed first when it is not there yet."""
    tsc = NODE_MODULES / ".bin" / "tsc"
    if installed_version() == pinned_version() and tsc.exists():
        return tsc
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed (.ci/install-system-packages installs it)")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert installed_version() == pinned_version()
    return tsc


def test_the_lock_file_pins_the_same_typescript() -> None:
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/typescript"]["version"] == pinned_version()
    assert lock["packages"][""]["devDependencies"] == {"typescript": pinned_version()}


def test_the_plugin_type_checks() -> None:
    result = subprocess.run(
        [str(typescript()), "-p", "plugin", "--pretty", "false"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, "tsc found type errors:\n" + (
        result.stdout[-8000:] + result.stderr[-2000:]
    )


def test_the_check_covers_every_script_of_the_plugin() -> None:
    result = subprocess.run(
        [str(typescript()), "-p", "plugin", "--listFilesOnly"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    checked = {Path(line).resolve() for line in result.stdout.splitlines() if line}
    scripts = {p.resolve() for p in (ROOT / "plugin").rglob("*.js")}
    assert scripts <= checked
    assert (ROOT / "plugin" / "types" / "messenger.d.ts").resolve() in checked
