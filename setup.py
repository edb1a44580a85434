"""The wheel carries the built Thunderbird plugin: build_py also writes the .xpi.

The metadata lives in pyproject.toml; this file only adds the build step, so
``pip wheel .``, ``pip install .`` and ``python -m build`` (through the sdist) all
ship ``bccguard/_packaging/thunderbird/bccguard.xpi``, built from ``plugin/`` by
``packaging/thunderbird/build_xpi.py``. A source tree without the plugin fails the
build instead of shipping a package that cannot install it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
XPI_IN_PACKAGE = ("bccguard", "_packaging", "thunderbird", "bccguard.xpi")


def _build_xpi_module() -> ModuleType:
    script = ROOT / "packaging" / "thunderbird" / "build_xpi.py"
    spec = importlib.util.spec_from_file_location("bccguard_build_xpi", script)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithPlugin(build_py):
    """build_py, then the plugin's .xpi into the package being built."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # a source checkout builds the plugin when it installs it
        target = Path(self.build_lib).joinpath(*XPI_IN_PACKAGE)
        _build_xpi_module().build(target, ROOT / "plugin")

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if not self.editable_mode:
            outputs.append(str(Path(self.build_lib).joinpath(*XPI_IN_PACKAGE)))
        return outputs


setup(cmdclass={"build_py": BuildPyWithPlugin})
