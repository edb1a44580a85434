"""Generated cases decided by Python and by the plugin's code in node, compared."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent

Case = dict[str, Any]


def plugin_answers(script: str, cases: list[Case]) -> list[Any]:
    """What a node script here prints (JSON) for the cases given on its stdin."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed")
    result = subprocess.run(
        [node, str(HERE / script)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answers: list[Any] = json.loads(result.stdout)
    return answers


def disagreements(
    cases: list[Case], python: list[Any], plugin: list[Any]
) -> list[tuple[Case, Any, Any]]:
    """Each case whose two answers differ, with both answers."""
    return [
        (case, py, js)
        for case, py, js in zip(cases, python, plugin, strict=True)
        if py != js
    ]
