# ruff: noqa: F811  (the peers are fixtures imported from tests.discovery_peers)
"""The add-account assistant in the settings window, driven like a tester would:
an address typed, servers from the local autoconfig, the password tried against a
real AUTH-requiring SMTP server and Dovecot, the account saved, and the page on
pointing the mail program at BccGuard shown."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard

from bccguard.adapters.connection_test import try_account
from bccguard.adapters.dns_discovery import DnsDiscovery
from bccguard.adapters.server_discovery import ServerDiscovery
from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.adapters.thunderbird_profile import ImportedAccount
from bccguard.core.discovery import MailServers, Server, Source
from bccguard.core.settings import Settings
from bccguard.service import account_password_key
from bccguard.ui.account_assistant import AccountAssistant, AccountTools
from bccguard.ui.i18n import set_language
from bccguard.ui.settings_window import SettingsWindow
from tests.discovery_peers import (  # noqa: F401
    SIGN_IN_EMAIL,
    SIGN_IN_PASSWORD,
    SIGN_IN_USER,
    AutoconfigServer,
    DiscoveryCa,
    DnsServer,
    MailHost,
    autoconfig_server,
    discovery_ca,
    dns_server,
    mail_host,
)
from tests.ui.test_settings_window import MemorySecretStore

pytestmark = pytest.mark.gui


@pytest.fixture
def tools(
    discovery_ca: DiscoveryCa,
    autoconfig_server: AutoconfigServer,
    dns_server: DnsServer,
) -> AccountTools:
    lookup = DnsDiscovery(dns_server.resolver(), timeout=3)
    discovery = ServerDiscovery(autoconfig_server.autoconfig(), lookup.srv, lookup.mx)
    imported = ImportedAccount(
        "anna@corp.example",
        "Anna",
        MailServers(
            "anna@corp.example",
            Server("smtp.corp.example", 587, "starttls", "anna"),
            Server("imap.corp.example", 993, "implicit", "anna"),
            Source.THUNDERBIRD,
            "Thunderbird account1/id1",
        ),
    )
    return AccountTools(
        discover=discovery.discover,
        try_account=lambda servers, user, password, progress: try_account(
            servers, user, password, ca_file=discovery_ca.ca_file, progress=progress
        ),
        import_thunderbird=lambda: [imported],
    )


@pytest.fixture
def window(qtbot, tmp_path: Path, tools: AccountTools) -> SettingsWindow:  # type: ignore[no-untyped-def]
    set_language("en")
    config = tmp_path / "config.toml"
    save_settings(config, Settings())
    secrets = MemorySecretStore()
    window = SettingsWindow(
        Settings(),
        secrets,
        config,
        lambda s: None,
        proxy_secret="s3",
        account_tools=tools,
    )
    qtbot.addWidget(window)
    window.show()
    return window


def next_page(qtbot, wizard: QWizard, page: object) -> None:  # type: ignore[no-untyped-def]
    wizard.button(QWizard.WizardButton.NextButton).click()
    qtbot.waitUntil(lambda: wizard.currentPage() is page, timeout=15_000)


def test_a_tester_adds_an_account_without_typing_a_server_name(
    qtbot,
    window: SettingsWindow,
    mail_host: MailHost,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    started = time.monotonic()
    window.accounts.assistant_button.click()
    wizard = window.assistant
    assert wizard is not None and wizard.isVisible()
    qtbot.keyClicks(wizard.address_page.email, SIGN_IN_EMAIL)
    next_page(qtbot, wizard, wizard.servers_page)
    page = wizard.servers_page
    assert "publishes for mail programs" in page.source.text()
    assert f"127.0.0.1:{mail_host.smtp_port} — STARTTLS" in page.table.text()
    assert not page.confirm.isVisible()  # the domain's own HTTPS answered
    next_page(qtbot, wizard, wizard.credentials_page)
    assert wizard.credentials_page.username.text() == SIGN_IN_USER
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClicks(wizard.credentials_page.password, SIGN_IN_PASSWORD)
    next_page(qtbot, wizard, wizard.test_page)
    qtbot.waitUntil(lambda: wizard.test_page.report is not None, timeout=20_000)
    assert wizard.test_page.report.ok, wizard.test_page.results.text()
    assert wizard.test_page.results.text().count("signed in") == 2
    next_page(qtbot, wizard, wizard.saved_page)
    assert wizard.saved_page.saved
    (account,) = load_settings(tmp_path / "config.toml").accounts
    assert (account.email, account.smtp_port, account.imap_port) == (
        SIGN_IN_EMAIL,
        mail_host.smtp_port,
        mail_host.imap_port,
    )
    assert window.accounts._secrets.get(account_password_key(account.name)) == (
        SIGN_IN_PASSWORD
    )
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert window.tabs.currentWidget() is window.mail_programs
    assert time.monotonic() - started < 120


def test_a_refused_password_stops_at_the_test_with_its_reason(
    qtbot,
    window: SettingsWindow,
    mail_host: MailHost,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    wizard = window.open_assistant()
    qtbot.keyClicks(wizard.address_page.email, SIGN_IN_EMAIL)
    next_page(qtbot, wizard, wizard.servers_page)
    next_page(qtbot, wizard, wizard.credentials_page)
    qtbot.keyClicks(wizard.credentials_page.password, "wrong")
    next_page(qtbot, wizard, wizard.test_page)
    qtbot.waitUntil(lambda: wizard.test_page.report is not None, timeout=20_000)
    text = wizard.test_page.results.text()
    assert "The user name or password was refused." in text
    assert "535" in text
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert load_settings(tmp_path / "config.toml").accounts == ()


def test_servers_from_srv_elsewhere_must_be_confirmed(
    qtbot,
    window: SettingsWindow,
    dns_server: DnsServer,  # type: ignore[no-untyped-def]
) -> None:
    dns_server.add(
        "_submissions._tcp.corp.example", "SRV", "0 1 465 smtp.mailhost.example."
    )
    wizard = window.open_assistant()
    qtbot.keyClicks(wizard.address_page.email, SIGN_IN_EMAIL)
    next_page(qtbot, wizard, wizard.servers_page)
    page = wizard.servers_page
    assert "DNS records (SRV)" in page.source.text()
    assert page.confirm.isVisible()
    assert "Not in corp.example: smtp.mailhost.example." in page.warning.text()
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()
    page.confirm.setChecked(True)
    assert next_button.isEnabled()


def test_nothing_found_says_so_and_stays(
    qtbot,
    window: SettingsWindow,  # type: ignore[no-untyped-def]
) -> None:
    wizard = window.open_assistant()
    qtbot.keyClicks(wizard.address_page.email, "bob@nowhere.example")
    wizard.button(QWizard.WizardButton.NextButton).click()
    qtbot.waitUntil(
        lambda: "No servers were found" in wizard.address_page.status.text(),
        timeout=15_000,
    )
    assert wizard.currentPage() is wizard.address_page


def test_a_bundled_provider_links_its_app_password_page(
    qtbot,
    window: SettingsWindow,  # type: ignore[no-untyped-def]
) -> None:
    wizard = window.open_assistant()
    qtbot.keyClicks(wizard.address_page.email, "someone@gmail.com")
    next_page(qtbot, wizard, wizard.servers_page)
    assert "well-known providers" in wizard.servers_page.source.text()
    next_page(qtbot, wizard, wizard.credentials_page)
    advice = wizard.credentials_page.advice.text()
    assert "https://myaccount.google.com/apppasswords" in advice
    assert "OAuth2" in advice


def test_thunderbird_accounts_can_be_taken(
    qtbot,
    window: SettingsWindow,  # type: ignore[no-untyped-def]
) -> None:
    wizard = window.open_assistant()
    wizard.address_page.import_button.click()
    assert wizard.address_page.imported.count() == 1
    wizard.address_page.use_imported.click()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.servers_page)
    assert "Thunderbird profile" in wizard.servers_page.source.text()
    assert "smtp.corp.example:587 — STARTTLS" in wizard.servers_page.table.text()


def test_the_assistant_alone_saves_through_its_callable(
    qtbot,
    tools: AccountTools,
    mail_host: MailHost,  # type: ignore[no-untyped-def]
) -> None:
    saved: list[tuple[dict[str, object], str]] = []
    wizard = AccountAssistant(tools, lambda v, p: saved.append((v, p)) or "")
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.keyClicks(wizard.address_page.email, SIGN_IN_EMAIL)
    next_page(qtbot, wizard, wizard.servers_page)
    next_page(qtbot, wizard, wizard.credentials_page)
    qtbot.keyClicks(wizard.credentials_page.password, SIGN_IN_PASSWORD)
    next_page(qtbot, wizard, wizard.test_page)
    qtbot.waitUntil(wizard.test_page.isComplete, timeout=20_000)
    next_page(qtbot, wizard, wizard.saved_page)
    ((values, password),) = saved
    assert values["smtp_username"] == SIGN_IN_USER and password == SIGN_IN_PASSWORD
    assert values["imap_tls"] == "none"
