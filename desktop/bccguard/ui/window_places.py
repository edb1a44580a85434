"""One window behaviour everywhere: Esc closes, and each window reopens where it was.

Places are kept in a small JSON file (in BccGuard's home; the path is handed in).
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

_KEY = "bccguard-window-place"  # the property that names a window's place
_SCREEN_SHARE = 0.9  # a new window takes at most this much of the screen


class WindowPlaces(QObject):
    """Restores each window's geometry when it opens and writes it when it hides."""

    def __init__(self, path: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self._places: dict[str, str] = self._read()

    def _read(self) -> dict[str, str]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("window places unreadable: %s", self.path, exc_info=True)
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def attach(self, key: str, window: QWidget) -> None:
        """Esc closes ``window``; it opens where it was, or centred on the screen."""
        close_on_escape(window)
        window.setProperty(_KEY, key)
        window.installEventFilter(self)
        saved = self._places.get(key)
        if saved and window.restoreGeometry(
            QByteArray(base64.b64decode(saved.encode("ascii")))
        ):
            return
        fit_on_screen(window)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A window hides (closed, Esc): keep its place."""
        if event.type() == QEvent.Type.Hide and isinstance(watched, QWidget):
            key = watched.property(_KEY)
            if isinstance(key, str):
                self.remember(key, watched)
        return False

    def remember(self, key: str, window: QWidget) -> None:
        """Write ``window``'s geometry as the place of ``key``."""
        raw = bytes(window.saveGeometry().data())
        self._places[key] = base64.b64encode(raw).decode("ascii")
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self._places, indent=1), encoding="utf-8")
        except OSError:
            log.warning("window places not saved: %s", self.path, exc_info=True)


def close_on_escape(window: QWidget) -> None:
    """Esc closes the window (or does the window's own ``escape()`` first)."""
    action = getattr(window, "escape", None)
    shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
    shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
    shortcut.activated.connect(action if callable(action) else window.close)


def fit_on_screen(window: QWidget) -> None:
    """Shrink ``window`` to fit the screen if needed and centre it there."""
    area = (window.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    width = min(window.width(), int(area.width() * _SCREEN_SHARE))
    height = min(window.height(), int(area.height() * _SCREEN_SHARE))
    window.resize(width, height)
    frame = window.frameGeometry()
    frame.moveCenter(area.center())
    window.move(frame.topLeft())
