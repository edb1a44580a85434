"""The wheel lists its packages by hand: every package in the source is in it.

An editable install finds every folder by itself, so a package missing from
pyproject.toml shows only in the built wheel (it once left out bccguard.service).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_in_the_source_is_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    source = ROOT / "desktop"
    found = {
        ".".join(init.parent.relative_to(source).parts)
        for init in source.glob("bccguard/**/__init__.py")
    }
    assert found - listed == set()
