"""A whole tray app session as a user clicks it, run as its own process.

    BCCGUARD_HOME=DIR python -X dev -m tests.ui.tray_session [SECONDS [ROUNDS]]

Starts the real tray app in demo mode through the command line's entry point, then,
from inside its event loop, does what a person would: opens every window from the
tray menu, sends the sample mass mail twice (Convert, then Send as is, confirmed),
opens the incident's apology, lets notifications and timers fire for SECONDS
(default 3) with garbage collections in between, goes through ROUNDS of the
app's routine (state reports, clocks ticking: a long day compressed), and leaves
through the menu's "Quit BccGuard". The process's exit code is the app's;
``test_quit_cleanly`` reads its stderr for crashes at teardown.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from bccguard import cli
from bccguard.ui.application import DesktopApp
from bccguard.ui.hold_dialog import HoldDialog
from bccguard.ui.incidents_window import IncidentsWindow
from bccguard.ui.tray import TrayMenu

Step = Callable[[], bool]  # True: done, go on; False: ask again shortly


def menu() -> TrayMenu:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, TrayMenu):
            return widget
    raise LookupError("no tray menu")


def click_menu(text: str) -> Step:
    def step() -> bool:
        tray_menu = menu()
        tray_menu.rebuild()
        for action in tray_menu.actions():
            if action.text() == text:
                action.trigger()
                return True
        raise LookupError(f"no menu entry {text!r}: {menu().entries()}")

    return step


def dialog() -> HoldDialog | None:
    visible = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, HoldDialog) and w.isVisible()
    ]
    return visible[0] if visible else None


def convert() -> bool:
    held = dialog()
    if held is None:
        return False
    held.convert_button.click()
    return True


def send_as_is() -> bool:
    held = dialog()
    if held is None:
        return False
    held.as_is_button.click()
    held.confirm.yes_button.click()
    return True


def no_dialog() -> bool:
    return dialog() is None


def write_apology() -> bool:
    found = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, IncidentsWindow)
    ]
    if not found:
        return False
    window = found[0]
    window.refresh()
    if not window.items:
        return False
    window.table.selectRow(0)
    window.apology_button.click()
    return True


def close_windows() -> bool:
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and not isinstance(widget, TrayMenu):
            widget.close()
    return True


def idle(seconds: float) -> Step:
    end: list[float] = []

    def step() -> bool:
        if not end:
            end.append(time.monotonic() + seconds)
        gc.collect()
        return time.monotonic() >= end[0]

    return step


def long_day(desktop: DesktopApp, rounds: int) -> Step:
    """Hours of the app's own routine, compressed: the guard reports its state
    (through the bridge, as its threads do), the tray and the status window show
    it, and the open windows' clocks tick; the event loop runs between batches."""
    done = [0]

    def step() -> bool:
        for _ in range(min(200, rounds - done[0])):
            desktop.guard.pause(0)
            for window in QApplication.topLevelWidgets():
                tick = getattr(window, "tick", None)
                if window.isVisible() and callable(tick):
                    tick()
            done[0] += 1
        return done[0] >= rounds

    return step


def steps(desktop: DesktopApp, seconds: float, rounds: int) -> Iterator[Step]:
    for entry in ("Check a message…", "Held messages", "Incidents", "Settings…"):
        yield click_menu(entry)
    yield click_menu("Show what arrived (demo outbox)")
    yield click_menu("Send a sample mass mail (demo)")
    yield convert
    yield no_dialog
    yield click_menu("Send a sample mass mail (demo)")
    yield send_as_is
    yield no_dialog
    yield click_menu("Incidents")
    yield write_apology
    yield click_menu("Pause for 15 minutes")
    yield click_menu("Resume guarding")
    yield idle(seconds)
    yield long_day(desktop, rounds)
    yield idle(0.5)
    yield close_windows
    yield click_menu("Held messages")  # one window open at the end
    yield idle(0.5)
    yield click_menu("Quit BccGuard")


def drive(desktop: DesktopApp, seconds: float, rounds: int) -> None:
    pending = steps(desktop, seconds, rounds)
    current: list[Step] = [next(pending)]
    deadline = time.monotonic() + 60 + seconds

    def tick() -> None:
        if time.monotonic() > deadline:
            print(f"tray session: stuck at {current[0]}", file=sys.stderr)
            QApplication.exit(3)
            return
        if current[0]():
            following = next(pending, None)
            if following is None:
                return  # Quit was the last step
            current[0] = following
        QTimer.singleShot(50, tick)

    QTimer.singleShot(500, tick)


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    start = DesktopApp.start

    def start_and_drive(desktop: DesktopApp) -> None:
        start(desktop)
        print(f"tray: {'yes' if desktop.tray is not None else 'no'}", flush=True)
        drive(desktop, seconds, rounds)

    # The app makes its QApplication and windows itself, as when a person starts it;
    # the session's steps begin once it has started.
    DesktopApp.start = start_and_drive  # type: ignore[method-assign,assignment]
    return cli.main(["--demo"])


if __name__ == "__main__":
    sys.exit(main())
