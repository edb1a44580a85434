"""Registering the native host with Thunderbird on Linux, macOS and Windows.

Thunderbird finds a host by its manifest: on Linux in
``~/.mozilla/native-messaging-hosts/<name>.json``, on macOS in
``~/Library/Mozilla/NativeMessagingHosts/``, on Windows through the registry key
``HKCU\\Software\\Mozilla\\NativeMessagingHosts\\<name>`` naming the manifest file.
The manifest points at a small launcher that runs this package's host.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bccguard.native_host import EXTENSION_ID, HOST_NAME

REGISTRY_KEY = "Software\\Mozilla\\NativeMessagingHosts\\" + HOST_NAME
SYSTEMS = ("Linux", "Darwin", "Windows")

RegistryWriter = Callable[[str, str], None]


class ManifestError(Exception):
    """The host cannot be registered here."""


@dataclass(frozen=True, slots=True)
class Installation:
    """What ``install-thunderbird`` wrote."""

    manifest: Path
    launcher: Path
    registry_key: str | None = None


def host_manifest(launcher: Path) -> dict[str, Any]:
    """The native manifest Thunderbird reads (type ``stdio``)."""
    return {
        "name": HOST_NAME,
        "description": "BccGuard desktop app",
        "path": str(launcher),
        "type": "stdio",
        "allowed_extensions": [EXTENSION_ID],
    }


def manifest_dir(system: str, user_home: Path, data_dir: Path) -> Path:
    """Where the manifest goes on ``system`` (``platform.system()`` spelling)."""
    if system == "Linux":
        return user_home / ".mozilla" / "native-messaging-hosts"
    if system == "Darwin":
        return user_home / "Library" / "Mozilla" / "NativeMessagingHosts"
    if system == "Windows":
        return data_dir / "native-host"  # the registry points here
    raise ManifestError(f"native messaging is not supported on {system}")


def write_launcher(system: str, directory: Path, python: str) -> Path:
    """A launcher running ``python -m bccguard.native_host`` with Thunderbird's args.

    Not private_files: the launcher holds no secret (a Python path and a module
    name) and is a program Thunderbird runs, so it is 0755 like any installed
    program, in an ordinary folder.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if system == "Windows":
        launcher = directory / "bccguard-native-host.bat"
        launcher.write_text(
            f'@echo off\r\n"{python}" -m bccguard.native_host %*\r\n', encoding="utf-8"
        )
        return launcher
    launcher = directory / "bccguard-native-host"
    launcher.write_text(
        f'#!/bin/sh\nexec {shlex.quote(python)} -m bccguard.native_host "$@"\n',
        encoding="utf-8",
    )
    launcher.chmod(0o755)
    return launcher


def set_registry_default(key: str, value: str) -> None:
    """Set the default value of ``HKEY_CURRENT_USER\\<key>`` (Windows only)."""
    if sys.platform == "win32":
        import winreg  # noqa: PLC0415 (exists on Windows only)

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, key) as handle:
            winreg.SetValueEx(handle, "", 0, winreg.REG_SZ, value)
        return
    raise ManifestError("the Windows registry is only available on Windows")


def install(
    system: str,
    *,
    user_home: Path,
    data_dir: Path,
    python: str = sys.executable,
    registry: RegistryWriter = set_registry_default,
) -> Installation:
    """Write the launcher and the host manifest, and on Windows the registry key."""
    directory = manifest_dir(system, user_home, data_dir)
    launcher = write_launcher(system, data_dir / "native-host", python)
    # Not private_files: the manifest holds no secret (the launcher's path and the
    # extension's id), Thunderbird must read it, and its folder is shared with
    # other programs' native hosts; it keeps the ordinary mode (0644 under the
    # usual umask), as Mozilla's own examples do.
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / f"{HOST_NAME}.json"
    manifest.write_text(
        json.dumps(host_manifest(launcher), indent=2) + "\n", encoding="utf-8"
    )
    if system != "Windows":
        return Installation(manifest, launcher)
    registry(REGISTRY_KEY, str(manifest))
    return Installation(manifest, launcher, "HKEY_CURRENT_USER\\" + REGISTRY_KEY)
