"""The account form's "Wait before sending" (Undo send): saved, shown, in words."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.settings import Account, Settings
from bccguard.ui.i18n import set_language
from bccguard.ui.settings_window import SettingsWindow
from tests.ui.test_settings_window import MemorySecretStore

pytestmark = pytest.mark.gui

ALICE = Account(name="work", email="alice@corp.example", smtp_host="smtp.corp.example")


def open_window(qtbot, config: Path) -> SettingsWindow:
    win = SettingsWindow(
        load_settings(config),
        MemorySecretStore(),
        config,
        lambda _s: None,
        proxy_secret="local-secret",
    )
    qtbot.addWidget(win)
    win.show()
    return win


def test_the_delay_is_chosen_in_words_and_saved(qtbot, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    save_settings(config, Settings(accounts=(ALICE,)))
    window = open_window(qtbot, config)
    box = window.accounts.undo_delay
    labels = [box.itemText(i) for i in range(box.count())]
    assert labels == ["Off", "5 s", "10 s", "30 s", "60 s"]
    assert box.currentText() == "Off"
    box.setCurrentIndex(box.findData("10"))
    qtbot.mouseClick(window.save_button, Qt.MouseButton.LeftButton)
    assert window.status.text() == "Saved."
    assert load_settings(config).accounts == (replace(ALICE, undo_delay=10),)
    # Opened again, the form shows what was saved.
    again = open_window(qtbot, config)
    assert again.accounts.undo_delay.currentText() == "10 s"


def test_the_words_in_italian(qtbot, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    save_settings(config, Settings(accounts=(replace(ALICE, undo_delay=30),)))
    set_language("it")
    try:
        window = open_window(qtbot, config)
        box = window.accounts.undo_delay
        assert box.itemText(0) == "Disattivato"
        assert box.currentText() == "30 s"
    finally:
        set_language("en")
