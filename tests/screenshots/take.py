"""Screenshots of the tray menu and every window, in one language, for the README.

One command takes them all, in English and Italian, into resources/screenshots:

    bash tests/screenshots/take.sh [OUTDIR]

(Xvfb with Debian's trayer as the system tray; needs xvfb-run and trayer). By hand,
one language:

    xvfb-run -a -s "-screen 0 1280x800x24" sh -c \
        'trayer --edge top --align right --widthtype request & sleep 1; \
         PYTHONPATH=. .venv/bin/python tests/screenshots/take.py OUTDIR [it]'

Uses throwaway homes in demo mode, so no account is touched. Files are named
``<window>[-<state>][-it].png``; what to look at in each is in REVIEW.md beside
this script. The add-account assistant's later pages (with test servers) come
from ``assistant.py``.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QTabWidget, QWidget

from bccguard.adapters.demo_sink import free_port
from bccguard.core.countdown import with_countdown
from bccguard.core.held import HeldMessage
from bccguard.core.settings import LOOPBACK_HOST, ProxySettings, Settings
from bccguard.demo import sample_mass_mail
from bccguard.events import GuardState
from bccguard.ui.application import DesktopApp, run_app
from bccguard.ui.check_window import CheckWindow
from bccguard.ui.countdown_window import CountdownWindow
from bccguard.ui.held_window import HeldWindow
from bccguard.ui.hold_dialog import HoldDialog
from bccguard.ui.i18n import set_language
from bccguard.ui.incidents_window import IncidentsWindow
from bccguard.ui.outbox_window import OutboxWindow
from bccguard.ui.settings_window import SettingsWindow
from bccguard.ui.status_window import StatusWindow
from tests.support import MemorySecrets
from tests.ui.held_records import NOW, in_state, record


def pump(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def wait(app: QApplication, predicate: Callable[[], bool], seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not predicate():
        app.processEvents()
        time.sleep(0.02)
    if not predicate():
        raise RuntimeError("timed out waiting for the app")


class Camera:
    """Saves window shots as ``<name><suffix>.png`` in ``out``."""

    def __init__(self, app: QApplication, out: Path, suffix: str) -> None:
        self.app, self.out, self.suffix = app, out, suffix

    def path(self, name: str) -> Path:
        return self.out / f"{name}{self.suffix}.png"

    def window(self, widget: QWidget, name: str) -> None:
        widget.show()
        widget.raise_()
        pump(self.app, 0.4)
        widget.grab().save(str(self.path(name)))
        print(f"saved {self.path(name)}")

    def screen_area(self, widget: QWidget, name: str, around: QWidget | None) -> None:
        """A part of the screen: a popup menu with what it came from."""
        area = widget.geometry().adjusted(-40, -40, 40, 20)
        if around is not None:
            area = area.united(around.geometry().adjusted(-10, -10, 10, 10))
        self.app.primaryScreen().grabWindow(0).copy(area).save(str(self.path(name)))
        print(f"saved {self.path(name)}")

    def message_box_later(self, name: str) -> None:
        """Shoot the message box about to open (a modal one with its own loop)."""

        def shoot() -> None:
            boxes = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible()
            ]
            if not boxes:
                QTimer.singleShot(100, shoot)
                return
            pump(self.app, 0.3)
            boxes[0].grab().save(str(self.path(name)))
            print(f"saved {self.path(name)}")
            boxes[0].done(0)

        QTimer.singleShot(300, shoot)


def held_mix() -> list[HeldMessage]:
    """One message in each state, oldest first, as the held list could show them."""
    subjects = {
        "sent": "Season's greetings from the choir",
        "partly-sent": "Minutes of the annual general meeting and the new budget "
        "for next year, with the list of volunteers",
        "failed": "Parents' evening: Thursday",
        "discarded": "Test",
        "needs-sign-in": "Invoice 2025-031",
        "queued": "Newsletter — March",
        "sending": "Reminder: membership fees",
        "uncertain": "Team dinner on Friday",
        "waiting": "Party",
    }
    records = []
    for minutes, (state, subject) in enumerate(subjects.items()):
        held = in_state(state, held_id=f"h{minutes}", count=30 if minutes % 2 else 150)
        records.append(
            replace(held, subject=subject, received_at=NOW - (60 - minutes) * 60)
        )
    return records


def shoot_held_states(camera: Camera) -> None:
    """The held list with a mix of states, and the hold dialog when it may have
    been sent: built from records directly, with the clock at 10:30."""
    records = held_mix()
    window = HeldWindow(lambda: records, lambda i, r: None, clock=lambda: NOW)
    window.select_id("h7")  # may have been sent
    camera.window(window, "held-states")
    window.select_id("h1")  # partly sent: the refused, in the server's words
    camera.window(window, "held-refused")
    window.close()
    window.deleteLater()
    uncertain = next(h for h in records if h.id == "h7")
    dialog = HoldDialog(uncertain, lambda i, r: None, clock=lambda: NOW)
    camera.window(dialog, "hold-dialog-uncertain")
    dialog.close_quietly()
    dialog.deleteLater()


def shoot_countdown(camera: Camera) -> None:
    """Undo send: two messages counting down, the soonest first."""
    records = [
        with_countdown(
            record(held_id, count, subject=subject, exposed_count=0, origin="passed"),
            NOW,
            seconds,
        )
        for held_id, count, seconds, subject in (
            ("c1", 3, 10, "Lunch on Thursday?"),
            ("c2", 1, 28, "Invoice 2025-031"),
        )
    ]
    window = CountdownWindow(lambda i: None, lambda i: None, clock=lambda: NOW)
    window.show_records(records, reveal=True)
    camera.window(window, "countdown-window")
    window.hide()
    window.deleteLater()


def shoot_tray_menu(app: QApplication, desktop: DesktopApp, camera: Camera) -> None:
    """The tray menu opened where the tray icon is, guarding and then paused."""
    if desktop.tray is None:
        print("no system tray on this display: no tray menu shots")
        return
    geometry = desktop.tray.geometry()
    anchor = geometry.bottomLeft() if geometry.isValid() else QPoint(900, 30)
    for name in ("tray-menu", "tray-menu-paused"):
        if name == "tray-menu-paused":
            desktop.pause(15 * 60)
            wait(app, lambda: desktop.menu.state.state is GuardState.PAUSED)
        desktop.menu.popup(anchor)
        pump(app, 0.6)
        camera.screen_area(desktop.menu, name, None)
        desktop.menu.hide()
    desktop.pause(0)
    pump(app, 0.3)


def shoot_sample_decisions(
    app: QApplication, desktop: DesktopApp, camera: Camera
) -> None:
    """The hold dialog for the demo's sample: converted once, sent as is once."""
    desktop.send_sample()
    wait(app, lambda: bool(desktop.dialogs))
    dialog = next(iter(desktop.dialogs.values()))
    dialog.search.setText("libero")
    camera.window(dialog, "hold-dialog")
    dialog.search.setText("")
    dialog.convert_button.click()
    assert desktop.sink is not None
    wait(app, lambda: bool(desktop.sink and desktop.sink.messages()))
    wait(app, lambda: not desktop.dialogs)
    desktop.send_sample()
    wait(app, lambda: bool(desktop.dialogs))
    dialog = next(iter(desktop.dialogs.values()))
    dialog.as_is_button.click()  # "send as is" asks once more, naming the people
    camera.window(dialog, "hold-dialog-as-is")
    dialog.confirm.yes_button.click()
    wait(
        app,
        lambda: any(i.kind.value == "sent-as-is" for i in desktop.incidents.list()),
    )
    wait(app, lambda: len(desktop.sink.messages()) == 2 if desktop.sink else False)


def shoot_incidents_and_apology(desktop: DesktopApp, camera: Camera) -> None:
    desktop.open_incidents()
    incidents = desktop.windows["incidents"]
    assert isinstance(incidents, IncidentsWindow)
    incidents.table.selectRow(0)
    incidents.notifiable_button.click()
    incidents.table.selectRow(0)
    camera.window(incidents, "incidents")
    wizard = desktop.open_apology(incidents.items[0])
    pages = len(wizard.pageIds())
    camera.window(wizard, "apology-1")
    for page in range(2, pages + 1):
        wizard.next()
        camera.window(wizard, f"apology-{page}")
    wizard.close()
    incidents.close()


def shoot_check(desktop: DesktopApp, camera: Camera) -> None:
    check = desktop.open_check()
    assert isinstance(check, CheckWindow)
    camera.window(check, "check-window-empty")
    check.show_message(sample_mass_mail(25))
    check.source_label.setText("season-greetings.eml")
    camera.window(check, "check-window")
    check.close()


def shoot_outbox(desktop: DesktopApp, camera: Camera) -> None:
    desktop.open_outbox()
    outbox = desktop.windows["outbox"]
    assert isinstance(outbox, OutboxWindow)
    outbox.select(outbox.mails[0].name)  # the newest: sent as is
    camera.window(outbox, "demo-outbox")
    outbox.select(outbox.mails[-1].name)  # converted to Bcc
    camera.window(outbox, "demo-outbox-converted")
    outbox.show_source.setChecked(True)
    camera.window(outbox, "demo-outbox-source")
    outbox.show_source.setChecked(False)
    outbox.close()
    empty = OutboxWindow(lambda: [])
    camera.window(empty, "demo-outbox-empty")
    empty.close()
    empty.deleteLater()


def shoot_settings(desktop: DesktopApp, camera: Camera) -> None:
    desktop.open_settings()
    window = desktop.windows["settings"]
    assert isinstance(window, SettingsWindow)
    tabs = window.findChildren(QTabWidget)[0]
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        camera.window(window, f"settings-{index + 1}")
    tabs.setCurrentIndex(0)
    assistant = window.open_assistant()
    camera.window(assistant, "account-assistant")
    assistant.reject()
    window.close()


def shoot_status_window(desktop: DesktopApp, camera: Camera) -> None:
    """What shows instead of the tray icon where the desktop has no tray."""
    status = StatusWindow(desktop.menu, desktop.guard.proxy.port)
    status.show_state(desktop.menu.state)
    camera.window(status, "status-window")
    status.hide()
    status.deleteLater()


def shoot_port_taken(app: QApplication, camera: Camera) -> None:
    """The error when BccGuard's port is taken by another program."""
    with socket.socket() as other:
        other.bind((LOOPBACK_HOST, 0))
        other.listen()
        port = other.getsockname()[1]
        home = Path(tempfile.mkdtemp(prefix="bccguard-shots-port-"))
        settings = Settings(proxy=ProxySettings(port=port))
        desktop = DesktopApp(app, home, settings, MemorySecrets(), use_tray=False)
        camera.message_box_later("error-port-taken")
        desktop.start()
        if desktop.status is not None:
            camera.window(desktop.status, "status-window-error")
        desktop.shutdown()


def shoot_broken_settings(camera: Camera, language: str) -> None:
    """The error when the settings file cannot be read: the real start path."""
    home = Path(tempfile.mkdtemp(prefix="bccguard-shots-broken-"))
    (home / "config.toml").write_text("[proxy]\nport = 'twenty-five'\n")
    saved = {k: os.environ.get(k) for k in ("BCCGUARD_HOME", "LANGUAGE")}
    os.environ["BCCGUARD_HOME"] = str(home)
    os.environ["LANGUAGE"] = language  # a broken file cannot say the language
    camera.message_box_later("error-broken-settings")
    try:
        run_app()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        set_language(language)


def main(out: Path, language: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    set_language(language)
    camera = Camera(app, out, "" if language == "en" else f"-{language}")
    home = Path(tempfile.mkdtemp(prefix="bccguard-shots-"))
    settings = Settings(proxy=ProxySettings(port=free_port(), decision_timeout=60))
    desktop = DesktopApp(app, home, settings, MemorySecrets(), demo=True)
    desktop.start()
    pump(app, 1.0)
    shoot_tray_menu(app, desktop, camera)
    shoot_status_window(desktop, camera)
    shoot_check(desktop, camera)
    desktop.open_incidents()
    camera.window(desktop.windows["incidents"], "incidents-empty")
    desktop.windows["incidents"].close()
    desktop.open_held()
    camera.window(desktop.windows["held"], "held-window-empty")
    desktop.windows["held"].close()
    shoot_sample_decisions(app, desktop, camera)
    shoot_incidents_and_apology(desktop, camera)
    desktop.open_held()
    camera.window(desktop.windows["held"], "held-window")
    desktop.windows["held"].close()
    shoot_outbox(desktop, camera)
    shoot_settings(desktop, camera)
    shoot_held_states(camera)
    shoot_countdown(camera)
    desktop.shutdown()
    shoot_port_taken(app, camera)
    shoot_broken_settings(camera, language)
    return 0


if __name__ == "__main__":
    if (
        not os.environ.get("DISPLAY")
        and os.environ.get("QT_QPA_PLATFORM") != "offscreen"
    ):
        sys.exit("run under an X server (see the module docstring)")
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    lang = sys.argv[2] if len(sys.argv) > 2 else "en"
    raise SystemExit(main(target, lang))
