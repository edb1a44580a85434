"""The tray app, used and then quit from its menu, leaves with 0 and no crash.

Each test runs a whole session (``tests/ui/tray_session.py``) in its own process
with Python's development mode on, the way a person starts the app, and reads what
the process wrote to stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.settings_file import save_settings
from bccguard.core.settings import ProxySettings, Settings

pytestmark = pytest.mark.gui

ROOT = Path(__file__).parents[2]
CRASH_SIGNS = (
    "Fatal Python error",
    "Segmentation",
    "Aborted",
    "Traceback",
    "Internal C++ object",
    "QThread: Destroyed",
    "ResourceWarning",
)


def run_session(
    home: Path, *, seconds: float, rounds: int, xvfb: bool = False
) -> subprocess.CompletedProcess[str]:
    home.mkdir(mode=0o700)
    save_settings(
        home / "config.toml",
        Settings(proxy=ProxySettings(port=free_port(), decision_timeout=60)),
    )
    env = {
        **os.environ,
        "BCCGUARD_HOME": str(home),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "desktop")]),
        "PYTHONDEVMODE": "1",
        "PYTHONFAULTHANDLER": "1",
    }
    command = [
        sys.executable,
        "-X",
        "dev",
        "-m",
        "tests.ui.tray_session",
        str(seconds),
        str(rounds),
    ]
    if xvfb:
        env.pop("QT_QPA_PLATFORM", None)
        session = " ".join(command)
        command = [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            "sh",
            "-c",
            "trayer --edge top --align right --widthtype request --height 28 & "
            f"sleep 1; {session}; code=$?; kill $! 2>/dev/null; exit $code",
        ]
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        command,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def assert_clean(home: Path, result: subprocess.CompletedProcess[str]) -> None:
    crashes = [sign for sign in CRASH_SIGNS if sign in result.stderr]
    assert result.returncode == 0 and not crashes, (
        f"exit {result.returncode}, {crashes}:\n{result.stderr[-4000:]}"
    )
    log = (home / "logs" / "bccguard.log").read_text(encoding="utf-8")
    assert "Traceback" not in log and " ERROR " not in log, log[-4000:]
    # The session got through: both samples arrived, the second as it was.
    assert len(list((home / "demo-outbox").glob("*.eml"))) == 2


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_a_session_quit_from_the_tray_menu_ends_cleanly(
    tmp_path: Path, attempt: int
) -> None:
    home = tmp_path / f"home-{attempt}"
    assert_clean(home, run_session(home, seconds=2, rounds=0))


def test_a_long_day_of_state_reports_and_ticking_clocks_ends_cleanly(
    tmp_path: Path,
) -> None:
    # 6000 rounds of the routine lose more references to True than it had at
    # start with PySide6 6.12 on Python 3.11: the app aborted at exit with
    # "Fatal Python error: bool_dealloc" (as after 13 minutes of real use).
    home = tmp_path / "home"
    assert_clean(home, run_session(home, seconds=1, rounds=6000))


@pytest.mark.skipif(
    not (shutil.which("xvfb-run") and shutil.which("trayer")),
    reason="needs xvfb-run and trayer for a real system tray",
)
def test_with_a_real_tray_and_its_notifications_ends_cleanly(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_session(home, seconds=2, rounds=2000, xvfb=True)
    assert_clean(home, result)
    assert "tray: yes" in result.stdout  # the icon, its menu and its balloons
