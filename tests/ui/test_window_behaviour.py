"""One window behaviour: Esc closes every window, and each reopens where it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from bccguard.adapters.demo_sink import free_port
from bccguard.core.settings import ProxySettings, Settings
from bccguard.ui.application import DesktopApp
from bccguard.ui.held_window import HeldWindow
from bccguard.ui.window_places import WindowPlaces
from tests.support import MemorySecrets
from tests.ui.held_records import in_state

pytestmark = pytest.mark.gui


@pytest.fixture
def desktop(qapp: QApplication, tmp_path: Path):
    settings = Settings(proxy=ProxySettings(port=free_port(), decision_timeout=30))
    app = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    app.start()
    yield app
    app.shutdown()


@pytest.mark.parametrize("key", ["check", "held", "settings", "incidents", "outbox"])
def test_escape_closes_the_window(qtbot, desktop: DesktopApp, key: str) -> None:
    opener = {
        "check": desktop.open_check,
        "held": desktop.open_held,
        "settings": desktop.open_settings,
        "incidents": desktop.open_incidents,
        "outbox": desktop.open_outbox,
    }[key]
    opener()
    window = desktop.windows[key]
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_a_window_reopens_where_it_was(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "places.json"
    first = QWidget()
    qtbot.addWidget(first)
    places = WindowPlaces(path)
    places.attach("incidents", first)
    first.show()
    first.setGeometry(QRect(140, 90, 610, 430))
    qtbot.waitExposed(first)
    first.close()
    assert path.exists()

    again = QWidget()
    qtbot.addWidget(again)
    WindowPlaces(path).attach("incidents", again)
    again.show()
    assert again.geometry().size() == first.geometry().size()
    assert again.geometry().topLeft() == first.geometry().topLeft()


def test_a_new_window_fits_the_screen_and_is_centred(qtbot, tmp_path: Path) -> None:
    screen = QGuiApplication.primaryScreen().availableGeometry()
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(screen.width() * 3, screen.height() * 3)
    WindowPlaces(tmp_path / "places.json").attach("check", window)
    assert window.width() <= screen.width()
    assert window.height() <= screen.height()
    assert screen.contains(window.frameGeometry().center())


def test_unreadable_places_are_ignored(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "places.json"
    path.write_text("{not json")
    window = QWidget()
    qtbot.addWidget(window)
    WindowPlaces(path).attach("held", window)  # no error: the default place


def test_escape_in_held_window_first_takes_back_send_as_is(qtbot) -> None:

    held = in_state("waiting", "h1")
    window = HeldWindow(lambda: [held], lambda i, r: None)
    qtbot.addWidget(window)
    WindowPlaces(None).attach("held", window)
    window.show()
    qtbot.waitUntil(window.isActiveWindow)
    window.table.selectRow(0)
    window.as_is_button.click()
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Escape)
    assert window.isVisible()
    assert not window.confirm.isVisible()
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_Escape)
    assert not window.isVisible()
