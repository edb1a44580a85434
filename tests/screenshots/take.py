"""Screenshots of the tray menu and every window, for review and the README.

Run under a real X server with a tray host, e.g.:

    xvfb-run -a -s "-screen 0 1280x800x24" sh -c \
        'trayer --edge top --align right --widthtype request & sleep 1; \
         .venv/bin/python tests/screenshots/take.py OUTDIR'

or simply ``bash tests/screenshots/take.sh OUTDIR``. Uses a throwaway home in demo
mode, so no account is touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from bccguard.adapters.demo_sink import free_port
from bccguard.core.held import HeldMessage
from bccguard.core.settings import ProxySettings, Settings
from bccguard.demo import sample_mass_mail
from bccguard.ui.application import DesktopApp
from bccguard.ui.held_window import HeldWindow
from bccguard.ui.hold_dialog import HoldDialog
from bccguard.ui.i18n import set_language
from tests.support import MemorySecrets
from tests.ui.held_records import NOW, in_state


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


def save_window(app: QApplication, widget: QWidget, path: Path) -> None:
    widget.show()
    widget.raise_()
    pump(app, 0.4)
    widget.grab().save(str(path))
    print(f"saved {path}")


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


def save_held_states(app: QApplication, out: Path, suffix: str) -> None:
    """The held list with a mix of states, and the hold dialog when it may have
    been sent: built from records directly, with the clock at 10:30."""
    records = held_mix()
    window = HeldWindow(lambda: records, lambda i, r: None, clock=lambda: NOW)
    window.select_id("h7")  # may have been sent
    save_window(app, window, out / f"held-states{suffix}.png")
    window.select_id("h1")  # partly sent: the refused, in the server's words
    save_window(app, window, out / f"held-refused{suffix}.png")
    window.close()
    uncertain = next(h for h in records if h.id == "h7")
    dialog = HoldDialog(uncertain, lambda i, r: None, clock=lambda: NOW)
    save_window(app, dialog, out / f"hold-dialog-uncertain{suffix}.png")
    dialog.close_quietly()


def main(out: Path, language: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    set_language(language)
    home = Path(tempfile.mkdtemp(prefix="bccguard-shots-"))
    settings = Settings(proxy=ProxySettings(port=free_port(), decision_timeout=60))
    desktop = DesktopApp(app, home, settings, MemorySecrets(), demo=True)
    desktop.start()
    pump(app, 1.0)
    suffix = "" if language == "en" else f"-{language}"

    # The tray menu, opened where the tray icon is.
    if desktop.tray is not None:
        geometry = desktop.tray.geometry()
        anchor = geometry.bottomLeft() if geometry.isValid() else QPoint(900, 30)
        desktop.menu.popup(anchor)
        pump(app, 0.6)
        screen = app.primaryScreen().grabWindow(0)
        menu_rect = desktop.menu.geometry().adjusted(-40, -40, 40, 20)
        screen.copy(menu_rect.united(geometry.adjusted(-10, -10, 10, 10))).save(
            str(out / f"tray-menu{suffix}.png")
        )
        print("saved tray menu")
        desktop.menu.hide()
    else:
        print("no system tray on this display: status window instead")
    if desktop.status is not None:
        save_window(app, desktop.status, out / f"status-window{suffix}.png")

    # The hold dialog, for the demo's sample mass mail.
    desktop.send_sample()
    wait(app, lambda: bool(desktop.dialogs))
    dialog = next(iter(desktop.dialogs.values()))
    dialog.search.setText("libero")
    save_window(app, dialog, out / f"hold-dialog{suffix}.png")
    dialog.search.setText("")
    dialog.convert_button.click()
    assert desktop.sink is not None
    wait(app, lambda: bool(desktop.sink and desktop.sink.messages()))
    pump(app, 0.5)

    # A second sample sent as it is: an incident, and the apology that follows.
    desktop.send_sample()
    wait(app, lambda: bool(desktop.dialogs))
    dialog = next(iter(desktop.dialogs.values()))
    dialog.as_is_button.click()  # "send as is" asks once more, naming the people
    save_window(app, dialog, out / f"hold-dialog-as-is{suffix}.png")
    dialog.confirm.yes_button.click()
    wait(
        app,
        lambda: any(i.kind.value == "sent-as-is" for i in desktop.incidents.list()),
    )
    desktop.open_incidents()
    incidents = desktop.windows["incidents"]
    incidents.table.selectRow(0)  # type: ignore[attr-defined]
    incidents.notifiable_button.click()  # type: ignore[attr-defined]
    incidents.table.selectRow(0)  # type: ignore[attr-defined]
    save_window(app, incidents, out / f"incidents{suffix}.png")
    wizard = desktop.open_apology(incidents.items[0])  # type: ignore[attr-defined]
    save_window(app, wizard, out / f"apology-1{suffix}.png")
    for page in range(2, 5):
        wizard.next()
        save_window(app, wizard, out / f"apology-{page}{suffix}.png")
    wizard.close()

    desktop.open_check()
    check = desktop.windows["check"]
    check.show_message(sample_mass_mail(25))  # type: ignore[attr-defined]
    check.source_label.setText("season-greetings.eml")  # type: ignore[attr-defined]
    save_window(app, check, out / f"check-window{suffix}.png")

    desktop.open_held()
    save_window(app, desktop.windows["held"], out / f"held-window{suffix}.png")
    desktop.open_outbox()
    save_window(app, desktop.windows["outbox"], out / f"demo-outbox{suffix}.png")
    try:
        desktop.open_settings()
    except ImportError:
        print("settings window not available")
    else:
        settings_window = desktop.windows["settings"]
        tabs = settings_window.findChildren(
            __import__("PySide6.QtWidgets").QtWidgets.QTabWidget
        )
        if tabs:
            for index in range(tabs[0].count()):
                tabs[0].setCurrentIndex(index)
                save_window(
                    app, settings_window, out / f"settings-{index + 1}{suffix}.png"
                )
        else:
            save_window(app, settings_window, out / f"settings{suffix}.png")
    save_held_states(app, out, suffix)
    QTimer.singleShot(0, desktop.quit)
    app.exec()
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
