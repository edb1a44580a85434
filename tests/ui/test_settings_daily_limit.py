"""The account form's daily limit: the provider's by default (kept as 0, so it
follows the provider), the user's own when changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.settings import Settings
from bccguard.ui.settings_window import SettingsWindow
from tests.ui.test_settings_window import ALICE, SECRET, MemorySecretStore

pytestmark = pytest.mark.gui


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    save_settings(path, Settings(accounts=(ALICE,)))
    return path


@pytest.fixture
def window(qtbot, config: Path) -> SettingsWindow:
    win = SettingsWindow(
        load_settings(config),
        MemorySecretStore(),
        config,
        lambda settings: None,
        proxy_secret=SECRET,
    )
    qtbot.addWidget(win)
    win.show()
    return win


def choose(window: SettingsWindow, provider: str) -> None:
    accounts = window.accounts
    index = accounts.provider.findData(provider)
    accounts.provider.setCurrentIndex(index)
    accounts.provider.activated.emit(index)


def test_the_provider_presets_the_daily_limit(
    window: SettingsWindow, config: Path
) -> None:
    accounts = window.accounts
    assert accounts.daily.value() == 300  # another provider: the cautious default
    choose(window, "gmail")
    assert accounts.daily.value() == 2_000  # Google Workspace (not a gmail.com address)
    choose(window, "microsoft365")
    assert accounts.daily.value() == 10_000
    assert window.save()
    account = load_settings(config).accounts[0]
    assert account.daily_limit == 0 and account.sending_limit() == 10_000


def test_an_own_daily_limit_is_saved(window: SettingsWindow, config: Path) -> None:
    window.accounts.daily.setValue(150)
    assert window.save()
    account = load_settings(config).accounts[0]
    assert account.daily_limit == 150 and account.sending_limit() == 150
