"""The account form names the field that cannot work, and nothing is saved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.settings import Account, Settings
from bccguard.ui.i18n import set_language
from bccguard.ui.settings_window import SettingsWindow
from tests.ui.settings_under_test import open_settings

pytestmark = pytest.mark.gui

ALICE = Account(name="work", email="alice@corp.example", smtp_host="smtp.corp.example")
BOB = Account(name="home", email="bob@home.example", smtp_host="smtp.home.example")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    save_settings(path, Settings(accounts=(ALICE, BOB)))
    return path


@pytest.fixture
def saved() -> list[Settings]:
    return []


@pytest.fixture
def window(qtbot, config: Path, saved: list[Settings]) -> SettingsWindow:
    return open_settings(qtbot, config, saved)


def choose(combo, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


def save(qtbot, window: SettingsWindow) -> None:
    qtbot.mouseClick(window.save_button, Qt.MouseButton.LeftButton)


def test_no_security_to_a_remote_server_is_named_in_the_form(
    qtbot, window: SettingsWindow, config: Path, saved: list[Settings]
) -> None:
    before = config.read_bytes()
    accounts = window.accounts
    window.tabs.setCurrentWidget(window.policy)
    choose(accounts.security, "none")
    save(qtbot, window)
    assert accounts.error.isVisible()
    assert accounts.error.text() == (
        "Security: 'none' is only allowed for a server on this machine, "
        "not smtp.corp.example"
    )
    assert window.status.text() == (
        "Not saved: accounts[0].smtp_tls: 'none' is only allowed for a server on "
        "this machine, not smtp.corp.example"
    )
    assert window.tabs.currentWidget() is accounts
    assert config.read_bytes() == before
    assert saved == []


def test_the_account_at_fault_is_selected(
    qtbot, window: SettingsWindow, config: Path, saved: list[Settings]
) -> None:
    before = config.read_bytes()
    accounts = window.accounts
    accounts.list.setCurrentRow(1)
    qtbot.keyClicks(accounts.imap_host, "imap.home.example")
    choose(accounts.imap_security, "none")
    accounts.list.setCurrentRow(0)
    save(qtbot, window)
    assert accounts.list.currentRow() == 1
    assert accounts.error.text() == (
        "IMAP security: 'none' is only allowed for a server on this machine, "
        "not imap.home.example"
    )
    assert window.status.text().startswith("Not saved: accounts[1].imap_tls: ")
    assert config.read_bytes() == before
    assert saved == []


def retype(qtbot, line, text: str) -> None:
    """Select what the field holds and type over it, as a user does."""
    line.setFocus()
    line.selectAll()
    if text:
        qtbot.keyClicks(line, text)
    else:
        qtbot.keyClick(line, Qt.Key.Key_Delete)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda bot, a: retype(bot, a.host, ""),
            "Outgoing (SMTP) server: required",
        ),
        (lambda bot, a: a.port.setValue(0), "Port: must be 1–65535"),
        (lambda bot, a: a.imap_port.setValue(70000), "IMAP port: must be 1–65535"),
        (
            lambda bot, a: retype(bot, a.host, "smtp.corp.example:465"),
            "Outgoing (SMTP) server: must be a server name or address alone "
            "(no scheme, port or spaces), not smtp.corp.example:465",
        ),
    ],
)
def test_other_fields_are_named_too(
    qtbot, window: SettingsWindow, config: Path, edit, message: str
) -> None:
    before = config.read_bytes()
    accounts = window.accounts
    edit(qtbot, accounts)
    save(qtbot, window)
    assert accounts.error.text() == message
    assert accounts.error.isVisible()
    assert config.read_bytes() == before


def test_the_error_goes_when_the_field_is_edited_and_saving_works(
    qtbot, window: SettingsWindow, config: Path, saved: list[Settings]
) -> None:
    accounts = window.accounts
    choose(accounts.security, "none")
    save(qtbot, window)
    assert accounts.error.isVisible()
    retype(qtbot, accounts.host, "127.0.0.1")
    assert not accounts.error.isVisible()
    save(qtbot, window)
    assert window.status.text() == "Saved."
    assert not accounts.error.isVisible()
    first = load_settings(config).accounts[0]
    assert (first.smtp_host, first.smtp_tls) == ("127.0.0.1", "none")
    assert len(saved) == 1


@pytest.fixture
def italian() -> Iterator[None]:
    set_language("it")
    yield
    set_language("en")


def test_the_field_error_is_in_the_ui_language(
    qtbot, italian: None, window: SettingsWindow
) -> None:
    choose(window.accounts.security, "none")
    save(qtbot, window)
    assert window.accounts.error.text() == (
        "Sicurezza: 'none' è consentito solo per un server su questo computer, "
        "non smtp.corp.example"
    )
