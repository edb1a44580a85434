"""Start BccGuard at login: XDG autostart, a macOS LaunchAgent, or the Startup folder.

The files come from the templates in ``packaging/``; each system has one file whose
presence means "start at login", so enabling writes it and disabling removes it.
"""

from __future__ import annotations

import os
import plistlib
import sys
from dataclasses import dataclass
from pathlib import Path

from bccguard.core.project_files import packaging_path

LABEL = "org.bccguard.BccGuard"


class AutostartError(Exception):
    """Start-at-login could not be set up or removed, with a message for the user."""


@dataclass(frozen=True, slots=True)
class _Target:
    """Where one system looks for login items, and which template fills it."""

    path: Path
    template: str  # relative to packaging/


def _system(system: str | None) -> str:
    """``linux``, ``macos`` or ``windows`` (other Unixes follow XDG like Linux)."""
    name = (system or sys.platform).lower()
    if name in ("darwin", "macos", "mac"):
        return "macos"
    if name in ("win32", "windows", "cygwin"):
        return "windows"
    return "linux"


def _target(system: str | None, home: Path | None) -> _Target:
    """The login-item file for ``system``.

    An explicit ``home`` is used as is (tests, other users); without it the
    usual environment variables (``XDG_CONFIG_HOME``, ``APPDATA``) are honoured.
    """
    kind = _system(system)
    base = home if home is not None else Path.home()
    if kind == "macos":
        return _Target(
            base / "Library" / "LaunchAgents" / f"{LABEL}.plist",
            f"macos/{LABEL}.plist",
        )
    if kind == "windows":
        appdata = os.environ.get("APPDATA") if home is None else None
        roaming = Path(appdata) if appdata else base / "AppData" / "Roaming"
        startup = roaming / "Microsoft" / "Windows" / "Start Menu" / "Programs"
        return _Target(
            startup / "Startup" / "BccGuard.cmd", "windows/BccGuard-startup.cmd"
        )
    xdg = os.environ.get("XDG_CONFIG_HOME") if home is None else None
    config = Path(xdg) if xdg and Path(xdg).is_absolute() else base / ".config"
    return _Target(
        config / "autostart" / "bccguard.desktop", "linux/bccguard-autostart.desktop"
    )


def _packaging_dir() -> Path:
    """``packaging/`` of this copy of BccGuard."""
    return packaging_path()


def _template(name: str) -> str:
    path = _packaging_dir() / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise AutostartError(
            f"the start-at-login template {name} is missing: {error.strerror}"
        ) from error


def _desktop_exec(command: list[str]) -> str:
    """An ``Exec=`` value (Desktop Entry Specification, "The Exec key")."""
    parts = []
    for arg in command:
        if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`%"):
            parts.append(arg)
            continue
        quoted = "".join("\\" + c if c in '"`$\\' else c for c in arg)
        parts.append('"' + quoted.replace("%", "%%") + '"')
    # The whole value is a string value too, so its backslashes are escaped again.
    return " ".join(parts).replace("\\", "\\\\")


def _cmd_line(command: list[str]) -> str:
    """Arguments for a ``.cmd`` file: each quoted, ``%`` doubled for cmd.exe."""
    for arg in command:
        if '"' in arg or "\n" in arg:
            raise AutostartError(f"cannot start {arg!r} from a .cmd file")
    return " ".join('"' + arg.replace("%", "%%") + '"' for arg in command)


def _render(kind: str, template: str, command: list[str]) -> bytes:
    if kind == "macos":
        plist = plistlib.loads(template.encode("utf-8"))
        plist["ProgramArguments"] = list(command)
        return plistlib.dumps(plist)
    if kind == "windows":
        text = template.replace("{command}", _cmd_line(command))
        return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return template.replace("{command}", _desktop_exec(command)).encode("utf-8")


def enable(
    command: list[str], *, system: str | None = None, home: Path | None = None
) -> Path:
    """Start ``command`` at every login.

    Args:
        command: The program and its arguments, e.g. ``launch_command()``.
        system: ``linux``, ``macos``/``darwin`` or ``windows``; default: this one.
        home: The user's home folder; default: the real one and its variables.

    Returns:
        The file written.

    Raises:
        AutostartError: the command is empty, the template is missing, or the
            file cannot be written.
    """
    if not command:
        raise AutostartError("no command to start at login")
    target = _target(system, home)
    data = _render(_system(system), _template(target.template), command)
    tmp = target.path.with_name(target.path.name + ".tmp")
    try:
        # Not private_files: a login item holds no secret (the command that starts
        # BccGuard), lives in a folder other programs share (~/.config/autostart,
        # ~/Library/LaunchAgents, the Startup folder), and is read by the session
        # and desktop tools, so it keeps the ordinary mode (0644 under the usual
        # umask) and its folder is left as the system made it.
        target.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, target.path)
    except OSError as error:
        raise AutostartError(f"cannot write {target.path}: {error.strerror}") from error
    return target.path


def disable(*, system: str | None = None, home: Path | None = None) -> None:
    """Stop starting at login; nothing to remove is not an error.

    Raises:
        AutostartError: the file exists but cannot be removed.
    """
    path = _target(system, home).path
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise AutostartError(f"cannot remove {path}: {error.strerror}") from error


def is_enabled(*, system: str | None = None, home: Path | None = None) -> bool:
    """True when BccGuard starts at login (its login-item file exists)."""
    return _target(system, home).path.is_file()


def launch_command() -> list[str]:
    """How to start this BccGuard: the frozen app, or this Python with ``-m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    python = Path(sys.executable)
    if os.name == "nt":
        windowless = python.with_name("pythonw.exe")
        if windowless.is_file():
            python = windowless
    return [str(python), "-m", "bccguard"]
