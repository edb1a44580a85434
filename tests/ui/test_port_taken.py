"""BccGuard's port is taken: the user reads why in plain words, in their language,
and gets out by a free port or by Settings; the status window stops claiming a port."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from bccguard.adapters import paths
from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.settings_file import load_settings
from bccguard.core.settings import LOOPBACK_HOST, ProxySettings, Settings
from bccguard.events import GuardState
from bccguard.ui.application import DesktopApp
from bccguard.ui.i18n import set_language
from bccguard.ui.port_problem import PortProblemBox
from bccguard.ui.settings_window import SettingsWindow
from tests.support import MemorySecrets

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as other:
        other.bind((LOOPBACK_HOST, 0))
        other.listen()
        yield int(other.getsockname()[1])


def answer_box(
    qapp: QApplication, button: Callable[[PortProblemBox], object], seen: list[str]
) -> None:
    """When the port box opens, note its words and click ``button``."""

    def click() -> None:
        boxes = [
            w
            for w in qapp.topLevelWidgets()
            if isinstance(w, PortProblemBox) and w.isVisible()
        ]
        if not boxes:
            QTimer.singleShot(20, click)
            return
        seen.append(f"{boxes[0].text()}\n{boxes[0].informativeText()}")
        button(boxes[0]).click()  # type: ignore[attr-defined]

    QTimer.singleShot(0, click)


def started(
    qapp: QApplication,
    home: Path,
    port: int,
    button: Callable[[PortProblemBox], object],
    seen: list[str],
) -> DesktopApp:
    desktop = DesktopApp(
        qapp,
        home,
        Settings(proxy=ProxySettings(port=port)),
        MemorySecrets(),
        use_tray=False,
    )
    answer_box(qapp, button, seen)
    desktop.start()
    return desktop


def test_the_box_and_the_status_window_say_it_plainly(
    qapp: QApplication, tmp_path: Path, taken_port: int
) -> None:
    seen: list[str] = []
    desktop = started(qapp, tmp_path, taken_port, lambda b: b.close_button, seen)
    try:
        assert seen[0].startswith(
            f"Another program already uses port {taken_port} on this computer, so "
            "mail programs cannot reach BccGuard."
        )
        assert "Errno" not in seen[0]
        assert desktop.status is not None
        assert desktop.status.title.text().startswith("Not guarding: Another program")
        assert "send through" not in desktop.status.detail.text()
        assert not desktop.status.port_button.isHidden()
    finally:
        desktop.shutdown()


def test_italian_words(qapp: QApplication, tmp_path: Path, taken_port: int) -> None:
    set_language("it")
    seen: list[str] = []
    desktop = started(qapp, tmp_path, taken_port, lambda b: b.close_button, seen)
    try:
        assert seen[0].startswith(
            f"Un altro programma usa già la porta {taken_port} di questo computer"
        )
        assert desktop.status is not None
        assert "Another" not in desktop.status.title.text()
        assert desktop.status.port_button.text() == "Scegli un'altra porta…"
    finally:
        desktop.shutdown()


def test_a_free_port_makes_it_guard_and_is_kept(
    qapp: QApplication, tmp_path: Path, taken_port: int
) -> None:
    desktop = started(qapp, tmp_path, taken_port, lambda b: b.free_button, [])
    try:
        assert desktop.guard.state is GuardState.GUARDING
        port = desktop.guard.proxy.port
        assert port != taken_port
        assert load_settings(paths.config_file(tmp_path)).proxy.port == port
        assert desktop.status is not None
        assert f"127.0.0.1 port {port}." in desktop.status.detail.text()
        assert desktop.status.port_button.isHidden()
    finally:
        desktop.shutdown()


def test_settings_open_at_the_port_and_saving_another_listens(
    qapp: QApplication, tmp_path: Path, taken_port: int
) -> None:
    desktop = started(qapp, tmp_path, taken_port, lambda b: b.settings_button, [])
    try:
        window = desktop.windows["settings"]
        assert isinstance(window, SettingsWindow)
        assert window.tabs.currentWidget() is window.mail_programs
        port = free_port()
        window.mail_programs.port.setValue(port)
        assert window.save()
        assert desktop.guard.state is GuardState.GUARDING
        assert desktop.guard.proxy.port == port
    finally:
        desktop.shutdown()


def test_the_tray_menu_offers_another_port_while_not_listening(
    qapp: QApplication, tmp_path: Path, taken_port: int
) -> None:
    desktop = DesktopApp(
        qapp,
        tmp_path,
        Settings(proxy=ProxySettings(port=taken_port)),
        MemorySecrets(),
        use_tray=True,
    )
    answer_box(qapp, lambda b: b.close_button, [])
    desktop.start()
    try:
        desktop.menu.rebuild()
        assert "Choose another port…" in desktop.menu.entries()
        answer_box(qapp, lambda b: b.free_button, [])
        entry = next(
            a for a in desktop.menu.actions() if a.text() == "Choose another port…"
        )
        entry.trigger()
        assert desktop.guard.listening
        desktop.menu.rebuild()
        assert "Choose another port…" not in desktop.menu.entries()
    finally:
        desktop.shutdown()
