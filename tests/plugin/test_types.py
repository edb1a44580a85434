"""The plugin's JSDoc types, checked by TypeScript: ``tsc -p plugin`` (checkJs, noEmit).

TypeScript comes from npm at the version pinned in tests/plugin/package.json (and
its package-lock.json), installed with ``npm ci`` into tests/plugin/node_modules
when it is missing or another version; no build step, nothing is emitted.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests import npm_packages

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE_MODULES = HERE / "node_modules"


def pinned_version() -> str:
    return npm_packages.pinned_version(HERE, "typescript")


def typescript() -> Path:
    """The pinned tsc, installed first when it is not there yet."""
    npm_packages.ensure_installed(HERE, "typescript")
    return NODE_MODULES / ".bin" / "tsc"


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
