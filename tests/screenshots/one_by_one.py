"""Screenshots of "send one by one": the hold dialog's offer, then the run on its way
in the tray menu and the Held window, in one language:

    xvfb-run -a -s "-screen 0 1280x800x24" sh -c \
        'trayer --edge top --align right --widthtype request & sleep 1; \
         PYTHONPATH=. .venv/bin/python tests/screenshots/one_by_one.py OUTDIR [it]'

Demo mode in a throwaway home: the copies go to the demo sink, one every 3 s,
so the run is still on its way when the tray and the Held window are shot.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from bccguard.adapters.demo_sink import free_port
from bccguard.core.settings import DeliverySettings, ProxySettings, Settings
from bccguard.ui.application import DesktopApp
from bccguard.ui.i18n import set_language
from tests.screenshots.take import Camera, pump, wait
from tests.support import MemorySecrets


def main(out: Path, language: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    set_language(language)
    camera = Camera(app, out, "" if language == "en" else f"-{language}")
    home = Path(tempfile.mkdtemp(prefix="bccguard-shots-"))
    settings = Settings(
        proxy=ProxySettings(port=free_port(), decision_timeout=60),
        delivery=DeliverySettings(one_by_one_pause=3.0),
    )
    desktop = DesktopApp(app, home, settings, MemorySecrets(), demo=True)
    desktop.start()
    pump(app, 1.0)

    desktop.send_sample()
    wait(app, lambda: bool(desktop.dialogs))
    dialog = next(iter(desktop.dialogs.values()))
    dialog.one_by_one_button.click()
    dialog.offer.greet.setChecked(True)
    dialog.offer.fallback.setText("friend" if language == "en" else "amica, amico")
    camera.window(dialog, "hold-dialog-one-by-one")
    dialog.offer.send_button.click()
    sink = desktop.sink
    assert sink is not None
    wait(app, lambda: len(sink.messages()) >= 3, seconds=30)
    pump(app, 0.5)

    if desktop.tray is not None:
        geometry = desktop.tray.geometry()
        anchor = geometry.bottomLeft() if geometry.isValid() else QPoint(900, 30)
        desktop.menu.popup(anchor)
        pump(app, 0.6)
        camera.screen_area(desktop.menu, "tray-menu-one-by-one", None)
        desktop.menu.hide()
        print("tooltip:", desktop.tray.toolTip().replace("\n", " | "))
    else:
        print("no system tray on this display: no tray menu shot")
    desktop.open_held()
    held = desktop.windows["held"]
    held.resize(1000, 420)
    held.table.selectRow(0)  # what the run does, and what can be done
    camera.window(held, "held-window-one-by-one")
    held.close()
    desktop.shutdown()
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    lang = sys.argv[2] if len(sys.argv) > 2 else "en"
    raise SystemExit(main(target, lang))
