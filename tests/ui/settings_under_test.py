"""A settings window over a saved configuration file, as the tray app opens it."""

from __future__ import annotations

from pathlib import Path

from bccguard.adapters.settings_file import load_settings
from bccguard.core.settings import Settings
from bccguard.ui.settings_window import SettingsWindow
from tests.ui.test_settings_window import MemorySecretStore


def open_settings(qtbot, config: Path, saved: list[Settings]) -> SettingsWindow:
    """The window for `config`, shown; each save hands its settings to `saved`."""
    win = SettingsWindow(
        load_settings(config),
        MemorySecretStore(),
        config,
        saved.append,
        proxy_secret="s",
    )
    qtbot.addWidget(win)
    win.show()
    return win
