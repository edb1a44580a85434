"""Fixtures for the plugin: the built .xpi and a real headless Thunderbird."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from tests.plugin.thunderbird import Run, run_thunderbird
from tests.smtp_sink import SinkServer

ROOT = Path(__file__).resolve().parents[2]
Thunderbird = Callable[..., Run]


def _build_xpi_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_xpi", ROOT / "packaging" / "thunderbird" / "build_xpi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_xpi() -> Any:
    """The packaging script, imported."""
    return _build_xpi_module()


@pytest.fixture(scope="session")
def xpi(tmp_path_factory: pytest.TempPathFactory, build_xpi: Any) -> Path:
    """The plugin built from its file list, as the release would be."""
    path: Path = build_xpi.build(tmp_path_factory.mktemp("xpi") / "bccguard.xpi")
    return path


@pytest.fixture
def thunderbird(tmp_path: Path, xpi: Path, upstream: SinkServer) -> Thunderbird:
    """Run Thunderbird once with a scenario for the driver; sends go to `upstream`."""
    if shutil.which("thunderbird") is None:
        pytest.fail("thunderbird is not installed (.ci/install-system-packages)")

    def run(scenario: dict[str, Any], **kwargs: Any) -> Run:
        return run_thunderbird(
            tmp_path, xpi=xpi, smtp_port=upstream.port, scenario=scenario, **kwargs
        )

    return run


@pytest.fixture
def no_os_keyring() -> Iterator[None]:
    """This process, too, keeps secrets in the test's home, not the OS keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)
