"""``bccguard milter``: the socket forms, a clean stop on SIGTERM, clear errors."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from tests.support import wait_for


def milter(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bccguard", "milter", *args],
        env={**os.environ, "BCCGUARD_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_unix_socket_is_served_until_sigterm(tmp_path: Path) -> None:
    socket = tmp_path / "milter.sock"
    process = milter(tmp_path / "home", "--listen", f"unix:{socket}")
    try:
        wait_for(socket.exists)
        assert stat.S_ISSOCK(socket.stat().st_mode)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopping" in err


def test_a_bad_listen_value_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for bad in ("inet:99999@127.0.0.1", "unix:relative/path", "8899"):
        process = milter(tmp_path / "home", "--listen", bad)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 2, err
        assert err.count("\n") == 1 and "inet:PORT@HOST" in err


def test_a_bad_settings_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "milter.toml").write_text("[milter]\nbrake_minutes = 0\n")
    process = milter(home, "--listen", "inet:8899@127.0.0.1")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "milter.brake_minutes" in err and err.count("\n") == 1


def test_held_commands_without_a_postfix_say_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "milter.toml").write_text(
        '[milter]\nqueue_helper = ["/nonexistent/helper"]\n'
    )
    process = milter(home, "held", "release", "0a1b2c3d", "--bcc")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "no held message 0a1b2c3d" in err
