"""The Thunderbird plugin (.xpi): where this copy of BccGuard has it; side-loading it.

An installed package ships the plugin built at wheel time as
``bccguard/_packaging/thunderbird/bccguard.xpi``. A source checkout has no built
plugin, so it is built from ``plugin/`` into ``dist/bccguard.xpi`` when asked for.

Side-loading puts the file at ``<profile>/extensions/<gecko id>.xpi``. Thunderbird
finds it at its next start, keeps it disabled (``extensions.autoDisableScopes``
covers the profile) and asks the user whether to allow it: no add-on starts in
someone's mail program without their say.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import zipfile
from pathlib import Path

from bccguard.core.project_files import packaging_path
from bccguard.native_host import EXTENSION_ID

XPI_NAME = "bccguard.xpi"


class AddonError(Exception):
    """The plugin cannot be found, built or put into the profile."""


def find_xpi() -> Path:
    """The built plugin of this copy of BccGuard.

    Raises:
        AddonError: the package has no plugin and there is no source to build it.
    """
    shipped = packaging_path("thunderbird", XPI_NAME)
    if shipped.is_file():
        return shipped
    root = packaging_path().parent
    if (root / "plugin" / "manifest.json").is_file():
        return _build_from_source(root)
    raise AddonError(
        "this BccGuard package has no Thunderbird plugin in it (it was built without "
        "one); reinstall BccGuard from a complete package"
    )


def _build_from_source(root: Path) -> Path:
    """Build ``dist/bccguard.xpi`` of a source checkout with its own build script."""
    script = packaging_path("thunderbird", "build_xpi.py")
    spec = importlib.util.spec_from_file_location("bccguard_build_xpi", script)
    if spec is None or spec.loader is None:
        raise AddonError(f"cannot load the plugin's build script {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        return Path(module.build(root / "dist" / XPI_NAME, root / "plugin"))
    except (module.BuildError, OSError) as error:
        raise AddonError(f"cannot build the plugin: {error}") from error


def extension_id(xpi: Path) -> str:
    """The gecko id in the plugin's manifest (Thunderbird names the file after it).

    Raises:
        AddonError: the file is not a plugin with that id.
    """
    try:
        with zipfile.ZipFile(xpi) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        found = manifest["browser_specific_settings"]["gecko"]["id"]
    except (OSError, zipfile.BadZipFile, KeyError, TypeError, ValueError) as error:
        raise AddonError(f"{xpi} is not a Thunderbird plugin: {error}") from error
    if found != EXTENSION_ID:
        raise AddonError(f"{xpi} is the add-on {found!r}, not BccGuard's")
    return EXTENSION_ID


def side_load(xpi: Path, profile: Path) -> Path:
    """Put the plugin into ``profile``'s extensions folder; returns where it went.

    The copy is written beside its final name and renamed, so a Thunderbird
    starting meanwhile never reads half a file.

    Raises:
        AddonError: the profile is not a folder, or the copy failed.
    """
    if not profile.is_dir():
        raise AddonError(f"no Thunderbird profile folder at {profile}")
    target = profile / "extensions" / f"{extension_id(xpi)}.xpi"
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(xpi, partial)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise AddonError(f"cannot write {target}: {error.strerror}") from error
    return target
