"""Run the plugin's JavaScript tests (`node --test tests/plugin/`) as part of pytest."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_node_suite_passes() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (.ci/install-system-packages installs it)")
    result = subprocess.run(
        [node, "--test", "tests/plugin/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary = [line for line in result.stdout.splitlines() if line.startswith("# ")]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in summary, summary
    assert not any(line.startswith("# pass 0") for line in summary), summary
