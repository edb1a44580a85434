"""The settings window: it saves what was edited, or nothing when a value is bad."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from bccguard.adapters import autostart
from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.settings import Account, PolicySettings, Settings
from bccguard.service import account_password_key
from bccguard.ui.i18n import set_language
from bccguard.ui.settings_window import SettingsWindow

pytestmark = pytest.mark.gui

SECRET = "local-secret-Xy7"


class MemorySecretStore:
    """A secret store that keeps everything in a dict; ``secure`` is chosen."""

    def __init__(self, *, secure: bool = True) -> None:
        self.values: dict[str, str] = {}
        self._secure = secure

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    @property
    def description(self) -> str:
        return "memory"

    @property
    def secure(self) -> bool:
        return self._secure


ALICE = Account(name="work", email="alice@corp.example", smtp_host="smtp.corp.example")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    save_settings(path, Settings(accounts=(ALICE,)))
    return path


@pytest.fixture
def secrets() -> MemorySecretStore:
    return MemorySecretStore()


@pytest.fixture
def saved() -> list[Settings]:
    return []


@pytest.fixture
def window(qtbot, config: Path, secrets: MemorySecretStore, saved: list[Settings]):
    win = SettingsWindow(
        load_settings(config), secrets, config, saved.append, proxy_secret=SECRET
    )
    qtbot.addWidget(win)
    win.show()
    return win


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_edits_are_saved_and_reload_equal(
    qtbot, window: SettingsWindow, config: Path, saved: list[Settings]
) -> None:
    window.policy.threshold.setValue(25)
    window.policy.domain.setText("Partner.Example")
    click(qtbot, window.policy.add_button)
    window.policy.action.setCurrentIndex(window.policy.action.findData("convert"))
    window.policy.to_style.setCurrentIndex(
        window.policy.to_style.findData("undisclosed")
    )
    window.mail_programs.port.setValue(2600)
    window.general.language.setCurrentIndex(window.general.language.findData("it"))
    accounts = window.accounts
    qtbot.keyClicks(accounts.host, ".eu")
    accounts.port.setValue(465)
    accounts.security.setCurrentIndex(accounts.security.findData("implicit"))
    accounts.own_threshold.setChecked(True)
    accounts.threshold.setValue(40)

    click(qtbot, window.save_button)

    assert window.status.text() == "Saved."
    reloaded = load_settings(config)
    assert saved == [reloaded]
    assert reloaded.policy == PolicySettings(
        threshold=25,
        trusted_domains=("partner.example",),
        action="convert",
        to_style="undisclosed",
    )
    assert reloaded.proxy.port == 2600
    assert reloaded.ui.language == "it"
    assert reloaded.accounts == (
        Account(
            name="work",
            email="alice@corp.example",
            smtp_host="smtp.corp.example.eu",
            smtp_port=465,
            smtp_tls="implicit",
            threshold=40,
        ),
    )


def test_provider_presets_the_recipient_limit(
    qtbot, window: SettingsWindow, config: Path
) -> None:
    accounts = window.accounts
    index = accounts.provider.findData("microsoft365")
    accounts.provider.setCurrentIndex(index)
    accounts.provider.activated.emit(index)
    assert accounts.limit.value() == 500
    assert window.save()
    assert load_settings(config).accounts[0].recipient_limit() == 500
    assert load_settings(config).accounts[0].max_recipients == 0  # the preset


@pytest.mark.parametrize(
    ("port", "message"),
    [
        (0, "proxy.port: must be 1024–65535"),
        (70000, "proxy.port: must be 1024–65535"),
        (25, "proxy.port: must be 1024–65535 (lower ports need administrator rights)"),
    ],
)
def test_bad_port_is_refused_and_nothing_written(
    qtbot,
    window: SettingsWindow,
    config: Path,
    saved: list[Settings],
    port: int,
    message: str,
) -> None:
    before = config.read_bytes()
    window.tabs.setCurrentIndex(0)
    window.mail_programs.port.setValue(port)
    window.policy.threshold.setValue(3)
    click(qtbot, window.save_button)
    assert window.status.text() == f"Not saved: {message}"
    assert window.tabs.currentWidget() is window.mail_programs
    assert config.read_bytes() == before
    assert saved == []


def test_duplicate_account_name_is_refused(
    qtbot, window: SettingsWindow, config: Path, saved: list[Settings]
) -> None:
    before = config.read_bytes()
    click(qtbot, window.accounts.add_button)
    accounts = window.accounts
    accounts.name.clear()
    qtbot.keyClicks(accounts.name, "work")
    qtbot.keyClicks(accounts.email, "bob@corp.example")
    qtbot.keyClicks(accounts.host, "smtp.corp.example")
    click(qtbot, window.save_button)
    assert "accounts: two accounts have the same name" in window.status.text()
    assert config.read_bytes() == before
    assert saved == []


def test_public_trusted_domain_is_refused_inline(qtbot, window: SettingsWindow) -> None:
    window.policy.domain.setText("gmail.com")
    click(qtbot, window.policy.add_button)
    assert window.policy.domain_list() == []
    assert not window.policy.domain_error.isHidden()
    assert window.policy.domain_error.text().startswith("policy.trusted_domains:")
    assert "public mail domain" in window.policy.domain_error.text()


@pytest.fixture
def italian() -> Iterator[None]:
    set_language("it")
    yield
    set_language("en")


def test_errors_are_shown_in_the_ui_language(
    qtbot, italian: None, window: SettingsWindow, config: Path
) -> None:
    window.mail_programs.port.setValue(25)
    click(qtbot, window.save_button)
    assert window.status.text() == (
        "Non salvato: proxy.port: deve essere tra 1024 e 65535 "
        "(le porte più basse richiedono i diritti di amministratore)"
    )
    window.policy.domain.setText("gmail.com")
    click(qtbot, window.policy.add_button)
    assert window.policy.domain_error.text() == (
        "policy.trusted_domains: dominio fidato gmail.com: un dominio di posta "
        "pubblico non può essere considerato fidato (i suoi utenti sono estranei "
        "tra loro)"
    )


def test_password_goes_to_the_secret_store_only(
    qtbot, window: SettingsWindow, config: Path, secrets: MemorySecretStore
) -> None:
    qtbot.keyClicks(window.accounts.password, "hunter2-upstream")
    click(qtbot, window.save_button)
    assert secrets.values[account_password_key("work")] == "hunter2-upstream"
    assert "hunter2-upstream" not in config.read_text(encoding="utf-8")
    assert window.accounts.password.text() == ""


def test_new_account_with_password_and_rename_and_remove(
    qtbot, window: SettingsWindow, config: Path, secrets: MemorySecretStore
) -> None:
    secrets.set(account_password_key("work"), "old-pass")
    accounts = window.accounts
    accounts.name.clear()
    qtbot.keyClicks(accounts.name, "office")
    click(qtbot, accounts.add_button)
    accounts.name.clear()
    qtbot.keyClicks(accounts.name, "home")
    qtbot.keyClicks(accounts.email, "me@home.example")
    qtbot.keyClicks(accounts.host, "smtp.home.example")
    qtbot.keyClicks(accounts.password, "home-pass")
    assert window.save(), window.status.text()
    assert [a.name for a in load_settings(config).accounts] == ["office", "home"]
    assert secrets.values == {
        account_password_key("office"): "old-pass",
        account_password_key("home"): "home-pass",
    }

    accounts.list.setCurrentRow(0)
    click(qtbot, accounts.remove_button)
    assert window.save(), window.status.text()
    assert [a.name for a in load_settings(config).accounts] == ["home"]
    assert secrets.values == {account_password_key("home"): "home-pass"}


@pytest.mark.parametrize("secure", [True, False])
def test_insecure_store_warning(qtbot, config: Path, secure: bool) -> None:
    win = SettingsWindow(
        Settings(), MemorySecretStore(secure=secure), config, print, proxy_secret="s"
    )
    qtbot.addWidget(win)
    win.show()
    assert win.accounts.warning.isVisible() is not secure
    assert "only your user account can read" in win.accounts.warning.text()


def test_copy_puts_the_secret_on_the_clipboard(qtbot, window: SettingsWindow) -> None:
    tab = window.mail_programs
    assert tab.secret.text() == SECRET
    assert tab.secret.isReadOnly()
    click(qtbot, tab.copy_button)
    assert QGuiApplication.clipboard().text() == SECRET


def test_instructions_follow_the_port(qtbot, window: SettingsWindow) -> None:
    window.mail_programs.port.setValue(3025)
    text = window.mail_programs.server.text()
    assert "127.0.0.1" in text
    assert "3025" in text


def test_start_at_login(qtbot, window: SettingsWindow, user_home: Path) -> None:
    assert not window.general.autostart.isChecked()
    window.general.autostart.setChecked(True)
    assert window.save()
    assert autostart.is_enabled()
    assert any(user_home.rglob("*")), "the login item lives in the test home"
    window.general.autostart.setChecked(False)
    assert window.save()
    assert not autostart.is_enabled()


def test_editing_an_account_keeps_what_the_form_does_not_show(
    qtbot, tmp_path: Path, secrets: MemorySecretStore
) -> None:
    path = tmp_path / "config.toml"
    rich = replace(
        ALICE, action="convert", imap_username="alice.imap", imap_oauth2=True
    )
    save_settings(path, Settings(accounts=(rich,)))
    win = SettingsWindow(
        load_settings(path), secrets, path, lambda s: None, proxy_secret=SECRET
    )
    qtbot.addWidget(win)
    qtbot.keyClicks(win.accounts.host, ".eu")
    click(qtbot, win.save_button)
    (account,) = load_settings(path).accounts
    assert account.smtp_host == "smtp.corp.example.eu"
    assert account.action == "convert"
    assert account.imap_username == "alice.imap"
    assert account.imap_oauth2 is True


def test_imap_fields_turn_on_watching(
    qtbot, window: SettingsWindow, config: Path
) -> None:
    accounts = window.accounts
    qtbot.keyClicks(accounts.imap_host, "imap.corp.example")
    accounts.imap_port.setValue(143)
    accounts.imap_security.setCurrentIndex(accounts.imap_security.findData("starttls"))
    click(qtbot, window.save_button)
    (account,) = load_settings(config).accounts
    assert (account.imap_host, account.imap_port, account.imap_tls) == (
        "imap.corp.example",
        143,
        "starttls",
    )
