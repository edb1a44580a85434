"""Where there is no tray, the status window shows the state the guard is in when the
window opens: the guard started before the window existed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from bccguard.adapters.demo_sink import free_port
from bccguard.core.settings import ProxySettings, Settings
from bccguard.events import GuardState
from bccguard.ui.application import DesktopApp
from tests.support import MemorySecrets

pytestmark = pytest.mark.gui


def test_the_status_window_says_guarding_once_started(
    qapp: QApplication, tmp_path: Path
) -> None:
    settings = Settings(proxy=ProxySettings(port=free_port()))
    desktop = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    desktop.start()
    try:
        assert desktop.guard.state is GuardState.GUARDING
        assert desktop.status is not None
        assert desktop.menu.state.state is GuardState.GUARDING
        assert desktop.status.title.text() == "Guarding your outgoing mail"
    finally:
        desktop.shutdown()
