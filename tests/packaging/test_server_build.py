"""bccguard-server is assembled from the same sources: all but the desktop part."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build_wheel() -> Any:
    """packaging/server/build_wheel.py, imported."""
    script = ROOT / "packaging" / "server" / "build_wheel.py"
    spec = importlib.util.spec_from_file_location("server_build_wheel", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def top_level() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_staged_tree_is_the_source_without_the_desktop_part(
    build_wheel: Any, tmp_path: Path
) -> None:
    stage = build_wheel.assemble(tmp_path / "src")
    package = stage / "desktop" / "bccguard"
    assert not (package / "ui").exists()
    source = {
        p.relative_to(ROOT / "desktop")
        for p in (ROOT / "desktop" / "bccguard").rglob("*.py")
        if "ui" not in p.relative_to(ROOT / "desktop" / "bccguard").parts[:1]
    }
    staged = {p.relative_to(stage / "desktop") for p in package.rglob("*.py")}
    assert staged == source
    for name in ("cli.py", "native_host/host.py", "service/guard.py"):
        assert (package / name).read_bytes() == (
            ROOT / "desktop" / "bccguard" / name
        ).read_bytes()
    assert (stage / "plugin" / "manifest.json").is_file()
    assert (stage / "setup.py").read_bytes() == (ROOT / "setup.py").read_bytes()


def test_the_server_metadata_is_the_desktop_one_without_qt(
    build_wheel: Any, tmp_path: Path
) -> None:
    stage = build_wheel.assemble(tmp_path / "src")
    server = tomllib.loads((stage / "pyproject.toml").read_text(encoding="utf-8"))
    desktop = top_level()
    assert server["project"]["name"] == "bccguard-server"
    assert server["project"]["version"] == desktop["project"]["version"]
    assert server["project"]["scripts"] == desktop["project"]["scripts"]
    assert server["build-system"] == desktop["build-system"]
    qt = [
        r for r in desktop["project"]["dependencies"] if r.lower().startswith("pyside6")
    ]
    assert qt, "the desktop package names Qt"
    assert server["project"]["dependencies"] == [
        r for r in desktop["project"]["dependencies"] if r not in qt
    ]
    assert "test" not in server["project"].get("optional-dependencies", {})
    ours, theirs = server["tool"]["setuptools"], desktop["tool"]["setuptools"]
    assert ours["packages"] == [p for p in theirs["packages"] if p != "bccguard.ui"]
    for key in ("package-dir", "package-data", "exclude-package-data"):
        assert ours[key] == theirs[key]


def test_an_unknown_value_or_a_missing_ui_package_is_an_error(build_wheel: Any) -> None:
    with pytest.raises(build_wheel.BuildError, match="cannot write"):
        build_wheel.to_toml(
            {"build-system": {"x": 1.5}, "project": {}, "tool": {"setuptools": {}}}
        )
    config = top_level()
    config["tool"]["setuptools"]["packages"] = ["bccguard"]
    with pytest.raises(build_wheel.BuildError, match=r"bccguard\.ui is not in"):
        build_wheel.server_config(config)
