"""Is there a desktop to show windows on? Asked before Qt starts, which would abort.

Qt's xcb and wayland plugins abort the process (SIGABRT, exit 134) when they cannot
reach their display server; a cheap connection to the server's socket first lets
BccGuard say what is wrong and what to run instead.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping

_X_TCP_BASE = 6000  # X11 display N listens on TCP port 6000 + N
_TIMEOUT = 1.0
# Platforms that draw without a display server (offscreen, vnc, eglfs, ...).
_SERVER_PLATFORMS = ("xcb", "wayland")


def desktop_problem(env: Mapping[str, str] | None = None) -> str | None:
    """Why Qt could not show a window here (None: it can), in a few words."""
    env = os.environ if env is None else env
    platform = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    display = env.get("DISPLAY", "")
    wayland = env.get("WAYLAND_DISPLAY", "")
    if platform and not platform.startswith(_SERVER_PLATFORMS):
        return None
    if platform.startswith("wayland") or (not platform and wayland):
        if wayland and _wayland_answers(wayland, env.get("XDG_RUNTIME_DIR", "")):
            return None
        if platform:  # asked for Wayland only
            return (
                f"no Wayland compositor answers on WAYLAND_DISPLAY={wayland}"
                if wayland
                else "QT_QPA_PLATFORM=wayland but WAYLAND_DISPLAY is not set"
            )
    if not display:
        if platform == "xcb":
            return "QT_QPA_PLATFORM=xcb but DISPLAY is not set"
        return "DISPLAY is not set"
    if not _x_answers(display):
        return f"no X server answers on DISPLAY={display}"
    return None


def _connects(family: int, address: str | bytes) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(_TIMEOUT)
            sock.connect(address)
    except OSError:
        return False
    return True


def _x_answers(display: str) -> bool:
    """Whether something accepts connections for X display ``display`` (":0").

    A form this does not know is left to Qt to try.
    """
    if display.startswith("/"):  # a socket path (XQuartz-style)
        return _connects(socket.AF_UNIX, display.rsplit(":", 1)[0])
    match = re.fullmatch(r"(?:\w+/)?(?P<host>[^/]*):(?P<n>\d+)(?:\.\d+)?", display)
    if match is None:
        return True
    host, number = match["host"], int(match["n"])
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        # Linux X servers also listen on the abstract socket of the same name.
        return _connects(socket.AF_UNIX, path) or _connects(
            socket.AF_UNIX, b"\0" + path.encode()
        )
    try:
        socket.create_connection((host, _X_TCP_BASE + number), _TIMEOUT).close()
    except OSError:
        return False
    return True


def _wayland_answers(name: str, runtime_dir: str) -> bool:
    path = name if name.startswith("/") else os.path.join(runtime_dir, name)
    return bool(runtime_dir or name.startswith("/")) and _connects(socket.AF_UNIX, path)
