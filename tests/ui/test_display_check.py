"""Without a reachable display the tray app says what to run instead, never aborts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.ui.display_check import desktop_problem

NO_SERVER = ":987"  # nothing listens for X display 987 here


@pytest.fixture
def x_server() -> Iterator[str]:
    """A listener on X display 7345's abstract socket: enough to be reachable."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(b"\0/tmp/.X11-unix/X7345")
    listener.listen(1)
    yield ":7345"
    listener.close()


def test_xcb_without_display() -> None:
    assert desktop_problem({"QT_QPA_PLATFORM": "xcb"}) == (
        "QT_QPA_PLATFORM=xcb but DISPLAY is not set"
    )


def test_display_without_x_server() -> None:
    assert desktop_problem({"DISPLAY": NO_SERVER}) == (
        f"no X server answers on DISPLAY={NO_SERVER}"
    )
    assert desktop_problem({"DISPLAY": NO_SERVER, "QT_QPA_PLATFORM": "xcb"})
    assert desktop_problem({"DISPLAY": "127.0.0.1:987"})


def test_reachable_x_server(x_server: str) -> None:
    assert desktop_problem({"DISPLAY": x_server}) is None
    assert (
        desktop_problem({"DISPLAY": x_server + ".0", "QT_QPA_PLATFORM": "xcb"}) is None
    )


def test_platforms_without_a_server_need_nothing() -> None:
    assert desktop_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert desktop_problem({"QT_QPA_PLATFORM": "vnc"}) is None


def test_wayland(tmp_path: Path) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert desktop_problem(env) == "DISPLAY is not set"  # and no compositor
    assert desktop_problem({**env, "QT_QPA_PLATFORM": "wayland"}) == (
        "no Wayland compositor answers on WAYLAND_DISPLAY=wayland-0"
    )
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as compositor:
        compositor.bind(str(tmp_path / "wayland-0"))
        compositor.listen(1)
        assert desktop_problem(env) is None
        assert desktop_problem({**env, "QT_QPA_PLATFORM": "wayland"}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland")
@pytest.mark.parametrize(
    "env",
    [
        {"QT_QPA_PLATFORM": "xcb"},
        {"DISPLAY": NO_SERVER},
        {"DISPLAY": NO_SERVER, "QT_QPA_PLATFORM": "xcb"},
    ],
)
def test_the_tray_app_exits_2_with_the_one_liner(
    tmp_path: Path, env: dict[str, str]
) -> None:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    done = subprocess.run(
        [sys.executable, "-m", "bccguard"],
        env={**base, **env, "BCCGUARD_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "no desktop to show the tray app on" in done.stderr
    assert "bccguard serve --demo" in done.stderr
    assert "Reinstalling" not in done.stderr
