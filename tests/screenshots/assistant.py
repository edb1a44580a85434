"""Screenshots of every page of the add-account assistant, against local test servers.

    xvfb-run -a -s "-screen 0 1280x800x24" env PYTHONPATH=. \
        .venv/bin/python tests/screenshots/assistant.py OUTDIR [LANG]

Starts the test peers (HTTPS autoconfig with a trustme certificate, a DNS server,
an AUTH-requiring SMTP server, Dovecot, an OAuth2 authorization server) and drives
the assistant in the settings window as a tester would; nothing outside a
throwaway folder is touched. The Google sign-in page is shot in each state
(offer, waiting, refused, done): its browser is an HTTP client posting the login
form, as in the tests.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import trustme
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from bccguard.adapters.connection_test import ConnectionReport, try_account
from bccguard.adapters.dns_discovery import DnsDiscovery
from bccguard.adapters.oauth2_client import oauth_client
from bccguard.adapters.server_discovery import ServerDiscovery
from bccguard.adapters.settings_file import save_settings
from bccguard.adapters.thunderbird_profile import ImportedAccount
from bccguard.core.discovery import MailServers, Server, Source
from bccguard.core.settings import Settings, settings_from_mapping
from bccguard.ui.account_assistant import AccountTools
from bccguard.ui.i18n import set_language
from bccguard.ui.oauth_sign_in_page import SignInTools
from bccguard.ui.settings_window import SettingsWindow
from tests.discovery_peers import (
    SIGN_IN_EMAIL,
    SIGN_IN_PASSWORD,
    DiscoveryCa,
    running_autoconfig,
    running_dns,
    running_mail_host,
)
from tests.dovecot_server import Dovecot
from tests.oauth2_server import (
    AuthServer,
    browse_refusal,
    browse_sign_in,
    running_auth_server,
)
from tests.ui.test_settings_window import MemorySecretStore


def pump(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def wait(app: QApplication, predicate: Callable[[], bool], seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not predicate():
        app.processEvents()
        time.sleep(0.02)
    if not predicate():
        raise RuntimeError("timed out")


def shot_name(name: str, lang: str) -> str:
    """``name.png`` in English, ``name-it.png`` in Italian, as take.py names them."""
    return f"{name}.png" if lang == "en" else f"{name}-{lang}.png"


def shoot(app: QApplication, widget: QWidget, path: Path) -> None:
    pump(app, 0.4)
    widget.grab().save(str(path))
    print(f"saved {path}")


def main(out: Path, lang: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bccguard-shots-"))
    work.chmod(0o755)  # Dovecot's mail processes run as another user
    (work / "dovecot").mkdir()
    ca_file = work / "ca.pem"
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(ca_file))
    ca = DiscoveryCa(authority, str(ca_file))
    dovecot = Dovecot(work / "dovecot")
    dovecot.start()
    try:
        with (
            running_autoconfig(ca) as autoconfig,
            running_dns() as dns,
            running_mail_host(ca, autoconfig, dovecot.port),
        ):
            dns.add(
                "_submissions._tcp.shop.example",
                "SRV",
                "0 1 465 smtp.mailhost.example.",
            )
            dns.add("_imaps._tcp.shop.example", "SRV", "0 1 993 imap.mailhost.example.")
            drive(out, lang, work, ca, autoconfig, dns)
        with running_auth_server() as auth:
            drive_sign_in(out, lang, work, auth)
    finally:
        dovecot.stop()
        shutil.rmtree(work, ignore_errors=True)


def drive(out: Path, lang: str, work: Path, ca, autoconfig, dns) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance() or QApplication(sys.argv)
    set_language(lang)
    lookup = DnsDiscovery(dns.resolver(), timeout=3)
    discovery = ServerDiscovery(autoconfig.autoconfig(), lookup.srv, lookup.mx)
    hold = threading.Event()

    def slow_try(servers, user, password, progress) -> ConnectionReport:  # type: ignore[no-untyped-def]
        def step(service: str) -> None:
            progress(service)
            if service == "imap":
                hold.wait(10)  # keep the progress on screen for its picture

        return try_account(servers, user, password, ca_file=ca.ca_file, progress=step)

    imported = ImportedAccount(
        "anna@corp.example",
        "Anna Rossi",
        MailServers(
            "anna@corp.example",
            Server("smtp.corp.example", 587, "starttls", "arossi"),
            Server("mail.corp.example", 143, "starttls", "arossi"),
            Source.THUNDERBIRD,
            "Thunderbird account2/id2",
        ),
    )
    tools = AccountTools(
        discover=discovery.discover,
        try_account=slow_try,
        import_thunderbird=lambda: [imported],
    )
    config = work / "config.toml"
    save_settings(config, Settings())
    window = SettingsWindow(
        Settings(),
        MemorySecretStore(),
        config,
        lambda s: None,
        proxy_secret="Zq8-local-secret",
        account_tools=tools,
    )
    window.show()
    pump(app, 0.3)
    shoot(app, window, out / shot_name("assistant-0-accounts-tab", lang))

    def click_next(wizard: QWizard) -> None:
        wizard.button(QWizard.WizardButton.NextButton).click()

    # Thunderbird import and the SRV confirmation, on the way.
    wizard = window.open_assistant()
    wizard.address_page.import_button.click()
    shoot(app, wizard, out / shot_name("assistant-1b-address-thunderbird", lang))
    wizard.close()
    wizard = window.open_assistant()
    wizard.address_page.email.setText("shop@shop.example")
    click_next(wizard)
    wait(app, lambda: wizard.currentPage() is wizard.servers_page)
    shoot(app, wizard, out / shot_name("assistant-2b-servers-confirm", lang))
    wizard.close()
    wizard = window.open_assistant()
    wizard.address_page.email.setText("someone@gmail.com")
    click_next(wizard)
    wait(app, lambda: wizard.currentPage() is wizard.servers_page)
    click_next(wizard)
    shoot(app, wizard, out / shot_name("sign-in-google-no-client-id", lang))
    wizard.close()
    wizard = window.open_assistant()
    wizard.address_page.email.setText(SIGN_IN_EMAIL)
    click_next(wizard)
    wait(app, lambda: wizard.currentPage() is wizard.servers_page)
    click_next(wizard)
    wizard.credentials_page.password.setText("wrong")
    hold.set()
    click_next(wizard)
    wait(app, lambda: wizard.test_page.report is not None)
    shoot(app, wizard, out / shot_name("assistant-4c-test-refused", lang))
    wizard.close()

    # The path a tester takes: address, servers, password, test, saved.
    hold.clear()
    wizard = window.open_assistant()
    wizard.address_page.email.setText(SIGN_IN_EMAIL)
    shoot(app, wizard, out / shot_name("assistant-1-address", lang))
    click_next(wizard)
    wait(app, lambda: wizard.currentPage() is wizard.servers_page)
    shoot(app, wizard, out / shot_name("assistant-2-servers", lang))
    click_next(wizard)
    wizard.credentials_page.password.setText(SIGN_IN_PASSWORD)
    shoot(app, wizard, out / shot_name("assistant-3-credentials", lang))
    click_next(wizard)
    wait(app, lambda: wizard.test_page.progress.value() == 1)  # at the IMAP step
    pump(app, 0.5)
    shoot(app, wizard, out / shot_name("assistant-4-test-running", lang))
    hold.set()
    wait(app, lambda: wizard.test_page.report is not None)
    shoot(app, wizard, out / shot_name("assistant-4b-test-passed", lang))
    click_next(wizard)
    wait(app, lambda: wizard.currentPage() is wizard.saved_page)
    shoot(app, wizard, out / shot_name("assistant-5-saved", lang))
    wizard.button(QWizard.WizardButton.FinishButton).click()
    wait(app, lambda: window.tabs.currentWidget() is window.mail_programs)
    shoot(app, window, out / shot_name("assistant-6-mail-programs", lang))
    window.tabs.setCurrentIndex(0)
    shoot(app, window, out / shot_name("assistant-7-accounts-after", lang))
    window.close()


def in_a_thread(work: Callable[[], object]) -> None:
    threading.Thread(target=work, daemon=True).start()


def drive_sign_in(out: Path, lang: str, work: Path, auth: AuthServer) -> None:
    """The Google sign-in page: offer, waiting, refused, done."""
    app = QApplication.instance() or QApplication(sys.argv)
    set_language(lang)
    settings = settings_from_mapping({"oauth": {"google": auth.oauth_table()}})
    browser: list[Callable[[str], object]] = [lambda url: None]

    def store(name: str, provider: str, tokens: object) -> None:
        pass  # nothing is saved: the pictures stop before the account is

    tools = AccountTools(
        sign_in=SignInTools(
            client=lambda provider: oauth_client(settings, provider),
            store=store,
            open_browser=lambda url: browser[0](url),  # noqa: PLW0108 (swapped)
            timeout=300,
        )
    )
    config = work / "config-oauth.toml"
    save_settings(config, settings)
    window = SettingsWindow(
        settings,
        MemorySecretStore(),
        config,
        lambda s: None,
        proxy_secret="Zq8-local-secret",
        account_tools=tools,
    )
    window.show()
    wizard = window.open_assistant()
    wizard.address_page.email.setText("anna.rossi@gmail.com")
    wizard.button(QWizard.WizardButton.NextButton).click()
    wait(app, lambda: wizard.currentPage() is wizard.servers_page)
    wizard.button(QWizard.WizardButton.NextButton).click()
    page = wizard.oauth_page
    wait(app, lambda: wizard.currentPage() is page)
    shoot(app, wizard, out / shot_name("sign-in-google-offer", lang))
    page.open_button.click()  # the browser opens, and nobody signs in yet
    pump(app, 1.2)
    shoot(app, wizard, out / shot_name("sign-in-google-waiting", lang))
    page.cancel_button.click()
    wait(app, lambda: page.state == "error")
    browser[0] = lambda url: in_a_thread(lambda: browse_refusal(url))
    page.open_button.click()
    wait(app, lambda: page.state == "error")
    shoot(app, wizard, out / shot_name("sign-in-google-error", lang))
    browser[0] = lambda url: in_a_thread(lambda: browse_sign_in(url, "anna"))
    page.open_button.click()
    wait(app, lambda: page.state == "done")
    shoot(app, wizard, out / shot_name("sign-in-google-done", lang))
    wizard.close()
    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "en")
