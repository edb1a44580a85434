"""Finding the project's own files (templates, translations, packaging templates).

In a source checkout they are the top-level ``resources/`` and ``packaging/`` folders;
an installed package carries them as ``bccguard/_resources`` and
``bccguard/_packaging`` (see ``package-dir`` in pyproject.toml).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_INSTALLED = {"resources": "_resources", "packaging": "_packaging"}


@cache
def project_dir(top: str) -> Path:
    """The ``resources`` or ``packaging`` folder this copy of BccGuard uses."""
    package = Path(str(resources.files("bccguard")))
    installed = package / _INSTALLED[top]
    if installed.is_dir():
        return installed
    for parent in package.parents:
        candidate = parent / top
        if (candidate / ".." / "pyproject.toml").is_file() and candidate.is_dir():
            return candidate
    return installed  # missing: callers report the file they could not find


def resource_path(*parts: str) -> Path:
    """A path below ``resources/``, e.g. ``resource_path("translations")``."""
    return project_dir("resources").joinpath(*parts)


def packaging_path(*parts: str) -> Path:
    """A path below ``packaging/``."""
    return project_dir("packaging").joinpath(*parts)
