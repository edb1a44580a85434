"""The assistant signs in with Google in the browser, against real peers: the
authorization server is oidc-provider, the mail servers Postfix and Dovecot
validating the tokens there. Only the function that opens the browser is
replaced: it hands the address to an HTTP client that posts the login form, as
a person would in the browser."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWizard

from bccguard.adapters.oauth2_client import (
    OAuthConfigError,
    SignInNeededError,
    oauth_client,
)
from bccguard.adapters.oauth2_sign_in import sign_in
from bccguard.adapters.oauth2_tokens import TokenProvider, TokenState, token_key
from bccguard.adapters.server_discovery import Discovery
from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.discovery import Auth, MailServers, Server, Source
from bccguard.core.settings import Account, Settings, settings_from_mapping
from bccguard.service import account_password_key
from bccguard.ui.account_assistant import AccountAssistant, AccountTools
from bccguard.ui.i18n import set_language
from bccguard.ui.oauth_sign_in_page import SignInTools
from bccguard.ui.settings_window import SettingsWindow
from tests.dovecot_server import USER
from tests.oauth2_mail import OAuth2Mail, running_oauth2_mail
from tests.oauth2_server import (
    AuthServer,
    browse_refusal,
    browse_sign_in,
)
from tests.postfix_server import available
from tests.support import MemorySecrets

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]
EMAIL = "alice@example.com"


@pytest.fixture(scope="module")
def mail(auth_server: AuthServer) -> Iterator[OAuth2Mail]:
    with running_oauth2_mail(auth_server) as servers:
        yield servers


def settings_for(auth_server: AuthServer) -> Settings:
    return settings_from_mapping({"oauth": {"google": auth_server.oauth_table()}})


def gmail_like(mail: OAuth2Mail) -> MailServers:
    """What discovery says of a Google address, pointed at the local servers."""
    return MailServers(
        EMAIL,
        Server("127.0.0.1", mail.smtp_port, "none", USER),
        Server("127.0.0.1", mail.dovecot.port, "none", USER),
        Source.BUNDLED,
        "test table",
        auth=Auth.OAUTH2_GOOGLE,
        provider="gmail",
        limits="gmail",
    )


def in_a_browser(url: str) -> None:
    """The user signs in (on another thread, like a browser of its own)."""
    threading.Thread(target=browse_sign_in, args=(url, USER), daemon=True).start()


class Opened:
    """A browser that only remembers what it was asked to open."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> None:
        self.urls.append(url)


class Setup:
    """A settings window with the assistant's tools pointed at the peers."""

    def __init__(
        self, qtbot, tmp_path: Path, auth_server: AuthServer, mail: OAuth2Mail
    ) -> None:  # type: ignore[no-untyped-def]
        self.qtbot = qtbot
        self.settings = settings_for(auth_server)
        self.config = tmp_path / "config.toml"
        save_settings(self.config, self.settings)
        self.secrets = MemorySecrets()
        self.home = tmp_path / "home"
        self.mail = mail
        self.browser: Callable[[str], object] = in_a_browser

        def store(name: str, provider: str, tokens: TokenState) -> None:
            client = oauth_client(self.settings, provider)
            TokenProvider(name, client, self.secrets, self.home).store(tokens)

        self.client = lambda provider: oauth_client(self.settings, provider)
        self.store = store
        self.timeout = 60.0

    def tools(self) -> AccountTools:
        return AccountTools(
            discover=lambda email: Discovery(email, gmail_like(self.mail), ()),
            sign_in=SignInTools(
                client=lambda p: self.client(p),  # noqa: PLW0108 (set later by tests)
                store=self.store,
                open_browser=lambda url: self.browser(url),  # noqa: PLW0108
                timeout=self.timeout,
            ),
        )

    def window(self) -> SettingsWindow:
        window = SettingsWindow(
            self.settings,
            self.secrets,
            self.config,
            lambda s: None,
            proxy_secret="s3",
            account_tools=self.tools(),
        )
        self.qtbot.addWidget(window)
        window.show()
        return window

    def to_sign_in(self, window: SettingsWindow) -> AccountAssistant:
        wizard = window.open_assistant()
        self.qtbot.keyClicks(wizard.address_page.email, EMAIL)
        next_page(self.qtbot, wizard, wizard.servers_page)
        next_page(self.qtbot, wizard, wizard.oauth_page)
        return wizard


@pytest.fixture
def setup(qtbot, tmp_path: Path, auth_server: AuthServer, mail: OAuth2Mail) -> Setup:  # type: ignore[no-untyped-def]
    set_language("en")
    return Setup(qtbot, tmp_path, auth_server, mail)


def next_page(qtbot, wizard: QWizard, page: object) -> None:  # type: ignore[no-untyped-def]
    wizard.button(QWizard.WizardButton.NextButton).click()
    qtbot.waitUntil(lambda: wizard.currentPage() is page, timeout=15_000)


def test_signing_in_with_google_in_the_browser_saves_an_oauth2_account(
    qtbot,
    setup: Setup,  # type: ignore[no-untyped-def]
) -> None:
    opened = Opened()
    setup.browser = lambda url: (opened(url), in_a_browser(url))
    window = setup.window()
    wizard = setup.to_sign_in(window)
    page = wizard.oauth_page
    assert page.state == "offer"
    assert page.open_button.text() == "Sign in with Google in your browser"
    shown = page.address.text()
    assert "code_challenge_method=S256" in shown
    assert parse_qs(urlsplit(shown).query)["login_hint"] == [EMAIL]
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()
    page.open_button.click()
    assert opened.urls == [shown]
    assert page.state == "waiting"  # the GUI thread is free while it waits
    assert page.cancel_button.isVisible()
    assert "Waiting for the browser" in page.status.text()
    qtbot.waitUntil(lambda: page.state == "done", timeout=20_000)
    assert "Signed in with Google" in page.outcome.text()
    next_page(qtbot, wizard, wizard.test_page)
    qtbot.waitUntil(lambda: wizard.test_page.report is not None, timeout=30_000)
    assert wizard.test_page.report.ok, wizard.test_page.results.text()
    assert wizard.test_page.results.text().count("signed in") == 2
    next_page(qtbot, wizard, wizard.saved_page)
    assert wizard.saved_page.saved, wizard.saved_page.message.text()
    (account,) = load_settings(setup.config).accounts
    assert (account.oauth, account.imap_oauth2, account.smtp_username) == (
        "google",
        True,
        USER,
    )
    stored = TokenState.from_json(setup.secrets.get(token_key(account.name)) or "")
    assert stored is not None and stored.refresh_token
    assert setup.secrets.get(account_password_key(account.name)) is None


def test_the_copied_address_works_without_the_button(
    qtbot,
    setup: Setup,  # type: ignore[no-untyped-def]
) -> None:
    setup.browser = Opened()
    wizard = setup.to_sign_in(setup.window())
    page = wizard.oauth_page
    page.copy_button.click()
    assert page.state == "waiting"

    copied = QGuiApplication.clipboard().text()
    assert copied == page.address.text()
    in_a_browser(copied)  # pasted into a browser by hand
    qtbot.waitUntil(lambda: page.state == "done", timeout=20_000)


def test_a_refused_consent_says_so_and_can_be_tried_again(
    qtbot,
    setup: Setup,  # type: ignore[no-untyped-def]
) -> None:
    setup.browser = lambda url: threading.Thread(
        target=browse_refusal, args=(url,), daemon=True
    ).start()
    wizard = setup.to_sign_in(setup.window())
    page = wizard.oauth_page
    first = page.address.text()
    page.open_button.click()
    qtbot.waitUntil(lambda: page.state == "error", timeout=20_000)
    assert "refused in the browser" in page.outcome.text()
    assert page.open_button.text() == "Try again"
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    setup.browser = in_a_browser
    page.open_button.click()
    assert page.address.text() != first  # a new sign-in: new state and verifier
    qtbot.waitUntil(lambda: page.state == "done", timeout=20_000)


def test_cancel_ends_the_wait(qtbot, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    setup.browser = Opened()  # the user never finishes in the browser
    wizard = setup.to_sign_in(setup.window())
    page = wizard.oauth_page
    page.open_button.click()
    assert page.state == "waiting"
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.state == "error", timeout=10_000)
    assert page.outcome.text() == "The sign-in was cancelled."


def test_a_sign_in_not_finished_in_time_says_so(qtbot, setup: Setup) -> None:  # type: ignore[no-untyped-def]
    setup.browser = Opened()
    setup.timeout = 1.0
    wizard = setup.to_sign_in(setup.window())
    page = wizard.oauth_page
    page.open_button.click()
    qtbot.waitUntil(lambda: page.state == "error", timeout=10_000)
    assert "not finished in the browser in the time allowed" in page.outcome.text()


def redirect_of(url: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(url).query)
    return query["redirect_uri"][0], query["state"][0]


def test_an_answer_not_for_this_sign_in_is_refused(
    qtbot,
    setup: Setup,  # type: ignore[no-untyped-def]
) -> None:
    def forged(url: str) -> None:
        target, _ = redirect_of(url)
        threading.Thread(
            target=requests.get,
            args=(target,),
            kwargs={"params": {"code": "x", "state": "an-old-tab"}, "timeout": 10},
            daemon=True,
        ).start()

    setup.browser = forged
    wizard = setup.to_sign_in(setup.window())
    page = wizard.oauth_page
    page.open_button.click()
    qtbot.waitUntil(lambda: page.state == "error", timeout=10_000)
    assert "not for this sign-in" in page.outcome.text()


def test_a_token_server_out_of_reach_says_so(
    qtbot,
    setup: Setup,
    auth_server: AuthServer,  # type: ignore[no-untyped-def]
) -> None:
    unreachable = replace(
        oauth_client(setup.settings, "google"), token_endpoint="http://127.0.0.1:9/"
    )
    setup.client = lambda provider: unreachable

    def answered(url: str) -> None:
        target, state = redirect_of(url)
        params = {"code": "c", "state": state, "iss": auth_server.issuer}
        threading.Thread(
            target=requests.get,
            args=(target,),
            kwargs={"params": params, "timeout": 10},
            daemon=True,
        ).start()

    setup.browser = answered
    wizard = setup.to_sign_in(setup.window())
    page = wizard.oauth_page
    page.open_button.click()
    qtbot.waitUntil(lambda: page.state == "error", timeout=20_000)
    assert "sign-in server could not be reached" in page.outcome.text()


def test_without_a_client_id_the_password_page_says_why(
    qtbot,
    setup: Setup,  # type: ignore[no-untyped-def]
) -> None:
    def no_client(provider: str) -> object:
        raise OAuthConfigError("no client id")

    setup.client = no_client
    wizard = setup.window().open_assistant()
    qtbot.keyClicks(wizard.address_page.email, EMAIL)
    next_page(qtbot, wizard, wizard.servers_page)
    next_page(qtbot, wizard, wizard.credentials_page)
    advice = wizard.credentials_page.advice.text()
    assert "no client id for Google" in advice
    assert "[oauth.google]" in advice
    assert "Signing in with Google or Microsoft" in advice
    assert "app password" in advice


def test_signing_in_again_starts_at_the_sign_in_and_says_when_done(
    qtbot,
    setup: Setup,  # type: ignore[no-untyped-def]
) -> None:
    told: list[str] = []
    wizard = AccountAssistant(
        setup.tools(),
        lambda values, password: told.append(str(values["name"])) or "",
        again=gmail_account(setup.mail),
    )
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentPage() is wizard.oauth_page
    wizard.oauth_page.open_button.click()
    qtbot.waitUntil(lambda: wizard.oauth_page.state == "done", timeout=20_000)
    next_page(qtbot, wizard, wizard.test_page)
    qtbot.waitUntil(lambda: wizard.test_page.report is not None, timeout=30_000)
    assert wizard.test_page.report.ok, wizard.test_page.results.text()
    next_page(qtbot, wizard, wizard.saved_page)
    assert told == ["gmail"]
    assert wizard.saved_page.title() == "Signed in again"
    assert setup.secrets.get(token_key("gmail"))


def gmail_account(mail: OAuth2Mail) -> Account:
    """A saved account that signs in with Google, on the local servers."""
    return Account(
        "gmail",
        EMAIL,
        "127.0.0.1",
        smtp_port=mail.smtp_port,
        smtp_tls="none",
        smtp_username=USER,
        imap_host="127.0.0.1",
        imap_port=mail.dovecot.port,
        imap_tls="none",
        imap_username=USER,
        imap_oauth2=True,
        oauth="google",
    )


def test_the_tray_notice_opens_the_sign_in_and_the_held_mail_goes_once(
    qtbot,
    qapp,
    tmp_path: Path,
    auth_server: AuthServer,
    mail: OAuth2Mail,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    from bccguard.adapters.demo_sink import free_port
    from bccguard.core.held import HeldState
    from bccguard.core.settings import ProxySettings
    from bccguard.ui import oauth_sign_in_page
    from bccguard.ui.application import DesktopApp
    from tests.service.test_guard import submit

    set_language("en")
    monkeypatch.setattr(oauth_sign_in_page, "open_in_browser", in_a_browser)
    settings = replace(
        settings_for(auth_server).with_account(gmail_account(mail)),
        proxy=ProxySettings(port=free_port(), decision_timeout=30),
    )
    home = tmp_path / "home"
    secrets = MemorySecrets()
    client = oauth_client(settings, "google")
    lost = TokenProvider("spender", client, MemorySecrets(), home)
    first = sign_in(client, lambda url: browse_sign_in(url, USER))
    lost.store(first)
    lost.access_token(refused=first.access_token)
    lost.store(first)  # its spent refresh token presented again: revoked
    with pytest.raises(SignInNeededError):
        lost.access_token(refused=first.access_token)
    secrets.set(token_key("gmail"), TokenState(first.refresh_token).to_json())
    desktop = DesktopApp(qapp, home, settings, secrets, use_tray=False)
    desktop.start()
    try:
        before = len(mail.sink.received)
        data = (
            b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
            b"Subject: waits\r\nMessage-ID: <tray-sign-in@example.com>\r\n\r\nhi\r\n"
        )
        code, _ = submit(desktop.guard, data, ["bob@example.net"], sender=EMAIL)
        assert code == 250
        qtbot.waitUntil(
            lambda: any(
                t == "Sign in again to gmail" for t, _ in desktop.notifications
            ),
            timeout=20_000,
        )
        (held,) = desktop.guard.held_messages()
        assert held.state is HeldState.NEEDS_SIGN_IN
        assert len(mail.sink.received) == before  # held, not failed, not lost
        desktop._notification_clicked()
        wizard = desktop.windows["sign-in-gmail"]
        assert isinstance(wizard, AccountAssistant)
        assert wizard.currentPage() is wizard.oauth_page
        wizard.oauth_page.open_button.click()
        qtbot.waitUntil(lambda: wizard.oauth_page.state == "done", timeout=20_000)
        next_page(qtbot, wizard, wizard.test_page)
        qtbot.waitUntil(wizard.test_page.isComplete, timeout=30_000)
        next_page(qtbot, wizard, wizard.saved_page)
        qtbot.waitUntil(
            lambda: desktop.guard.held_messages()[0].state is HeldState.SENT,
            timeout=30_000,
        )
        qtbot.waitUntil(lambda: len(mail.sink.received) == before + 1, timeout=20_000)
        qtbot.wait(1000)
        assert len(mail.sink.received) == before + 1  # sent once
        # The watchers waited for the sign-in too, and log in again now.
        qtbot.waitUntil(
            lambda: all(w.sessions >= 1 for w in desktop.mailboxes.watchers),
            timeout=20_000,
        )
    finally:
        desktop.shutdown()


def test_without_a_browser_the_page_says_to_copy_the_address(
    qtbot,
    setup: Setup,  # type: ignore[no-untyped-def]
) -> None:
    setup.browser = lambda url: False  # QDesktopServices found no browser
    wizard = setup.to_sign_in(setup.window())
    page = wizard.oauth_page
    page.open_button.click()
    assert page.state == "waiting"
    assert page.status.text().startswith("No browser could be opened")
    assert page.address.isVisible() and page.copy_button.isVisible()
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.state == "error", timeout=10_000)


def test_a_server_that_refuses_the_sign_in_says_what_to_switch_on(
    qtbot,
    setup: Setup,  # type: ignore[no-untyped-def]
) -> None:
    # The mailbox is someone else's: Dovecot refuses alice's token for it.
    servers = gmail_like(setup.mail)
    elsewhere = replace(servers, imap=replace(servers.imap, username="bob"))
    tools = replace(
        setup.tools(), discover=lambda email: Discovery(email, elsewhere, ())
    )
    wizard = AccountAssistant(tools, lambda values, password: "")
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.keyClicks(wizard.address_page.email, EMAIL)
    next_page(qtbot, wizard, wizard.servers_page)
    next_page(qtbot, wizard, wizard.oauth_page)
    wizard.oauth_page.open_button.click()
    qtbot.waitUntil(lambda: wizard.oauth_page.state == "done", timeout=20_000)
    next_page(qtbot, wizard, wizard.test_page)
    qtbot.waitUntil(lambda: wizard.test_page.report is not None, timeout=30_000)
    text = wizard.test_page.results.text()
    assert not wizard.test_page.report.ok
    assert "did not take that sign-in" in text
    assert "Go back to sign in again." in text
    assert "password" not in text.lower()
