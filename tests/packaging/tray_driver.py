"""The installed tray app, as ``bccguard --demo`` starts it, left through its menu.

    python tray_driver.py QUIT_FILE

Run by the Python of a virtual environment with the desktop wheel installed, so it
imports only what that wheel installed (nothing from a source tree). Once the
menu shows the guard guarding it prints ``TRAY <the menu's state line>``; once
QUIT_FILE exists it chooses "Quit BccGuard" in the menu, as a person would. The
exit code is the app's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from bccguard import cli
from bccguard.events import GuardState
from bccguard.ui.application import DesktopApp
from bccguard.ui.tray import TrayMenu

QUIT_ENTRY = "Quit BccGuard"
GIVE_UP_AFTER = 60.0  # seconds: a test waiting for nothing ends


def tray_menu() -> TrayMenu | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, TrayMenu)]
    return found[0] if found else None


def watch(quit_file: Path) -> None:
    deadline = time.monotonic() + GIVE_UP_AFTER
    said = [False]

    def tick() -> None:
        menu = tray_menu()
        if menu is not None and menu.state.state is GuardState.GUARDING and not said[0]:
            print(f"TRAY {menu.state_line()}", flush=True)
            said[0] = True
        if menu is not None and said[0] and quit_file.exists():
            menu.rebuild()
            entry = [a for a in menu.actions() if a.text() == QUIT_ENTRY]
            if not entry:
                print(f"no {QUIT_ENTRY!r} in {menu.entries()}", file=sys.stderr)
                QApplication.exit(3)
                return
            entry[0].trigger()
            return
        if time.monotonic() > deadline:
            print("tray driver: gave up waiting", file=sys.stderr)
            QApplication.exit(3)
            return
        QTimer.singleShot(100, tick)

    QTimer.singleShot(100, tick)


def main() -> int:
    quit_file = Path(sys.argv[1])
    start = DesktopApp.start

    def start_and_watch(desktop: DesktopApp) -> None:
        start(desktop)
        watch(quit_file)

    DesktopApp.start = start_and_watch  # type: ignore[method-assign,assignment]
    return cli.main(["--demo"])


if __name__ == "__main__":
    sys.exit(main())
