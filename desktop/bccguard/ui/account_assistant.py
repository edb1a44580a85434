"""The add-account assistant: address → servers found → sign-in → test → saved.

The sign-in is a password (or app password), or for Google and Microsoft with a
client id configured, OAuth2 in the browser (:mod:`bccguard.ui.oauth_sign_in_page`).
The same pages sign in again to an account whose sign-in expired.

The pages only show values and hand clicks to the callables in ``AccountTools``;
discovery and the connection test run in worker threads and come back as signals.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from bccguard.adapters.connection_test import ConnectionReport, try_account
from bccguard.adapters.oauth2_client import OAuthConfigError
from bccguard.adapters.server_discovery import Discovery, online
from bccguard.adapters.thunderbird_profile import (
    ImportedAccount,
    ThunderbirdProfileError,
    import_profile,
)
from bccguard.core.discovery import (
    Auth,
    DiscoveryError,
    MailServers,
    Server,
    Source,
    domain_of,
)
from bccguard.core.settings import Account
from bccguard.ui.i18n import N_, tr
from bccguard.ui.oauth_sign_in_page import (
    COMPANIES,
    PROVIDERS,
    README_SECTION,
    OAuthSignInPage,
    SignInTools,
)
from bccguard.ui.settings_form import ERROR_STYLE, OK_STYLE, WARNING_STYLE
from bccguard.ui.wizards import name_buttons

# The pages' ids: the sign-in is the password page or the OAuth2 one.
ADDRESS, SERVERS, CREDENTIALS, OAUTH, TEST, SAVED = range(6)

Progress = Callable[[str], None]
# Saves the account (its settings keys and password); returns why not, or "".
Save = Callable[[dict[str, Any], str], str]

SOURCE_TEXT = {
    "autoconfig": N_("the settings your provider publishes for mail programs"),
    "bundled": N_("BccGuard's list of well-known providers"),
    "srv": N_("your domain's DNS records (SRV), which are not authenticated"),
    "mx": N_("the provider that receives your domain's mail (MX), not authenticated"),
    "thunderbird": N_("your Thunderbird profile"),
}
TLS_TEXT = {
    "implicit": N_("TLS"),
    "starttls": N_("STARTTLS"),
    "none": N_("not encrypted (this computer only)"),
}
FAILURE_TEXT = {
    "name-not-found": N_(
        "The server name was not found. Check your Internet connection, or the address."
    ),
    "unreachable": N_(
        "The server did not answer. A firewall may block it, or it is "
        "down; try again later."
    ),
    "tls": N_(
        "The secure connection failed: the server's certificate is not trusted "
        "or does not fit its name. Nothing was sent."
    ),
    "password-refused": N_("The user name or password was refused."),
    "app-password-needed": N_(
        "Your provider wants an app password here (2-step "
        "verification is on). Make one on your provider's page and use it instead "
        "of your password."
    ),
    "other": N_("The server refused."),
}

# A server that refused the access token of a sign-in that worked.
TOKEN_REFUSED = N_(
    "{company} signed you in, but this server did not take that sign-in. The "
    "mailbox may not let mail programs in (IMAP in Gmail's settings, "
    "authenticated SMTP in Microsoft 365): switch that on, then sign in again."
)

# The bundled table's notes (core/provider_table.py), for the catalogue.
NOTE_TEXT = {
    "IMAP access must be switched on in GMX's web mail settings first.": (
        N_("IMAP access must be switched on in GMX's web mail settings first.")
    ),
}


@dataclass(frozen=True)
class AccountTools:
    """What the assistant calls: look up servers, try a password, read Thunderbird."""

    discover: Callable[[str], Discovery] = field(
        default_factory=lambda: online().discover
    )
    try_account: Callable[[MailServers, str, str, Progress], ConnectionReport] = (
        lambda servers, user, password, progress: try_account(
            servers, user, password, progress=progress
        )
    )
    import_thunderbird: Callable[[], list[ImportedAccount]] = import_profile
    # The connection test with an OAuth2 access token for the password.
    try_token: Callable[[MailServers, str, str, Progress], ConnectionReport] = (
        lambda servers, user, token, progress: try_account(
            servers, user, token, progress=progress, oauth2=True
        )
    )
    # OAuth2 sign-in (None: no client registration at hand; passwords only).
    sign_in: SignInTools | None = None


class _Results(QObject):
    """Carries a worker thread's result to the GUI thread."""

    ready = Signal(object)
    step = Signal(str)


def _run(work: Callable[[], object], done: Callable[[object], None]) -> _Results:
    results = _Results()
    results.ready.connect(done)

    def target() -> None:
        try:
            outcome = work()
        except Exception as error:  # a worker's last resort, shown on the page
            outcome = error
        results.ready.emit(outcome)

    threading.Thread(target=target, daemon=True).start()
    return results


class AddressPage(QWizardPage):
    """The address; Next looks for its servers."""

    def __init__(self, wizard: AccountAssistant) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Add an account"))
        self.setSubTitle(
            tr("Type your e-mail address: BccGuard looks up its servers for you.")
        )
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@example.org")
        self.email.textChanged.connect(self._edited)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.import_button = QPushButton(tr("Import from Thunderbird…"))
        self.import_button.clicked.connect(self._import)
        self.imported = QListWidget()
        self.imported.hide()
        self.imported.itemDoubleClicked.connect(lambda _: self._use_imported())
        self.use_imported = QPushButton(tr("Use this account"))
        self.use_imported.hide()
        self.use_imported.clicked.connect(self._use_imported)
        self._accounts: list[ImportedAccount] = []
        self._looking: _Results | None = None
        form = QFormLayout()
        form.addRow(tr("E-mail address"), self.email)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(
            QLabel(tr("Or take an account you already set up in Thunderbird:"))
        )
        layout.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.imported)
        layout.addWidget(self.use_imported, 0, Qt.AlignmentFlag.AlignLeft)

    def _edited(self) -> None:
        self.status.clear()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        try:
            domain_of(self.email.text())
        except DiscoveryError:
            return False
        return self._looking is None

    def validatePage(self) -> bool:
        email = self.email.text().strip()
        found = self._wizard.servers
        if found is not None and found.email == email:
            return True
        self._wizard.servers = None
        self.busy.show()
        self.status.setStyleSheet("")
        self.status.setText(tr("Looking for the servers of {domain}…", domain=email))
        self._looking = _run(lambda: self._wizard.tools.discover(email), self._found)
        self.completeChanged.emit()
        return False

    def _found(self, outcome: object) -> None:
        self._looking = None
        self.busy.hide()
        self.completeChanged.emit()
        if isinstance(outcome, Discovery) and outcome.servers is not None:
            self.status.clear()
            self._wizard.servers = outcome.servers
            self._wizard.next()
            return
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(
            tr(
                "No servers were found for this address. Add the account by hand "
                "with the Add button in the Accounts tab (your provider's help "
                "pages give the server names)."
            )
        )

    def _import(self) -> None:
        try:
            self._accounts = self._wizard.tools.import_thunderbird()
        except ThunderbirdProfileError:
            self._accounts = []
        self.imported.clear()
        for account in self._accounts:
            self.imported.addItem(f"{account.email} — {account.servers.smtp.host}")
        self.imported.setVisible(bool(self._accounts))
        self.use_imported.setVisible(bool(self._accounts))
        if self._accounts:
            self.imported.setCurrentRow(0)
            self.status.setStyleSheet("")
            self.status.setText(
                tr("Thunderbird's passwords are not read: you sign in again.")
            )
        else:
            self.status.setStyleSheet(ERROR_STYLE)
            self.status.setText(tr("No Thunderbird account was found."))

    def _use_imported(self) -> None:
        row = self.imported.currentRow()
        if 0 <= row < len(self._accounts):
            servers = self._accounts[row].servers
            self.email.setText(servers.email)
            self._wizard.servers = servers
            self._wizard.next()


def _describe(server: Server) -> str:
    return f"{server.host}:{server.port} — {tr(TLS_TEXT[server.tls])}"


def _server_rows(servers: MailServers) -> str:
    rows = [(tr("Outgoing (SMTP) server"), _describe(servers.smtp))]
    if servers.imap is not None:
        rows.append((tr("Incoming (IMAP) server"), _describe(servers.imap)))
    rows.append((tr("User name"), servers.username()))
    return (
        "<table>"
        + "".join(
            f"<tr><td style='padding-right:12px'>{html.escape(k)}</td>"
            f"<td><b>{html.escape(v)}</b></td></tr>"
            for k, v in rows
        )
        + "</table>"
    )


class ServersPage(QWizardPage):
    """What was found and where from; servers elsewhere must be confirmed."""

    def __init__(self, wizard: AccountAssistant) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Servers found"))
        self.setSubTitle(tr("Check them before you type your password."))
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.table = QLabel()
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.help = QLabel()
        self.help.setOpenExternalLinks(True)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.confirm = QCheckBox(tr("Yes, these are my provider's servers"))
        self.confirm.toggled.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        for widget in (self.source, self.table, self.help, self.warning, self.confirm):
            layout.addWidget(widget)
        layout.addStretch(1)

    def initializePage(self) -> None:
        servers = self._wizard.servers
        assert servers is not None
        self.source.setText(
            tr(
                "Where they come from: {source}.",
                source=tr(SOURCE_TEXT[servers.source.value]),
            )
        )
        self.table.setText(_server_rows(servers))
        page = tr("The provider’s page about these settings")
        self.help.setText(
            f"<a href='{html.escape(servers.help_url)}'>{html.escape(page)}</a>"
            if servers.help_url
            else ""
        )
        self.help.setVisible(bool(servers.help_url))
        self.confirm.setChecked(False)
        outside = servers.needs_confirmation
        self.warning.setVisible(outside)
        self.confirm.setVisible(outside)
        if outside:
            self.warning.setText(
                tr(
                    "Not in {domain}: {hosts}. This answer is not authenticated "
                    "and could have been forged on the way, and your password "
                    "would go there. Go on only if you know that {domain} uses "
                    "this provider.",
                    hosts=", ".join(servers.outside_domain()),
                    domain=servers.domain,
                )
            )

    def isComplete(self) -> bool:
        servers = self._wizard.servers
        return servers is not None and (
            not servers.needs_confirmation or self.confirm.isChecked()
        )

    def nextId(self) -> int:
        return OAUTH if self._wizard.oauth_provider() else CREDENTIALS


class CredentialsPage(QWizardPage):
    """The user name and password (or app password), with the provider's advice."""

    def __init__(self, wizard: AccountAssistant) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Sign in"))
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.textChanged.connect(self.completeChanged)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setOpenExternalLinks(True)
        self.advice.setTextFormat(Qt.TextFormat.RichText)
        form = QFormLayout()
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Password"), self.password)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advice)
        layout.addStretch(1)

    def initializePage(self) -> None:
        servers = self._wizard.servers
        assert servers is not None
        self.username.setText(servers.username())
        self.setSubTitle(
            tr(
                "BccGuard signs in to {host} with this password to send your "
                "mail. It is kept in your system's keyring.",
                host=servers.smtp.host,
            )
        )
        self.advice.setText(self._advice(servers))

    def nextId(self) -> int:
        return TEST

    @staticmethod
    def _advice(servers: MailServers) -> str:
        """Rich text: OAuth2, the app-password link, the provider's notes."""
        parts = []
        if servers.auth is not Auth.PASSWORD:
            provider = PROVIDERS[servers.auth]
            parts.append(
                html.escape(
                    tr(
                        "{company} normally signs mail programs in with OAuth2, in "
                        "your browser, but BccGuard has no client id for {company} "
                        "here ([oauth.{provider}] in the settings file; the README "
                        "section “{section}” says how to get one). Until then, "
                        "sign in with an app password.",
                        company=COMPANIES[provider],
                        provider=provider,
                        section=README_SECTION,
                    )
                )
            )
        if servers.app_password_url:
            words = tr("make an app password")
            link = (
                f"<a href='{html.escape(servers.app_password_url)}'>"
                f"{html.escape(words)}</a>"
            )
            if servers.app_password_required or servers.auth is not Auth.PASSWORD:
                text = tr(
                    "This provider needs an app password, not your usual one: {link}.",
                    link="\0",
                )
            else:
                text = tr(
                    "If you use 2-step verification, {link} and type it here.",
                    link="\0",
                )
            parts.append(html.escape(text).replace("\0", link))
        parts.extend(html.escape(tr(NOTE_TEXT.get(n, n))) for n in servers.notes)
        return "<br><br>".join(parts)

    def isComplete(self) -> bool:
        return bool(self.password.text())


class ConnectionTestPage(QWizardPage):
    """Tries the servers with the real credentials; Next once both accept them."""

    def __init__(self, wizard: AccountAssistant) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Connection test"))
        self.setSubTitle(tr("BccGuard signs in to each server. Nothing is sent."))
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.step = QLabel()
        self.results = QLabel()
        self.results.setWordWrap(True)
        self.results.setTextFormat(Qt.TextFormat.RichText)
        self.report: ConnectionReport | None = None
        self._running: _Results | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.step)
        layout.addWidget(self.results)
        layout.addStretch(1)

    def initializePage(self) -> None:
        servers = self._wizard.servers
        assert servers is not None
        self.report = None
        steps = 2 if servers.imap is not None else 1
        self.progress.setRange(0, steps)
        self.progress.setValue(0)
        self.results.clear()
        tokens = self._wizard.oauth_page.tokens
        if self._wizard.oauth_provider() and tokens is not None:
            user, password = servers.username(), tokens.access_token
            attempt = self._wizard.tools.try_token
        else:
            credentials = self._wizard.credentials_page
            user, password = credentials.username.text(), credentials.password.text()
            attempt = self._wizard.tools.try_account
        results = _Results()
        # A test still running from an earlier visit of this page is ignored.
        results.step.connect(
            lambda s: self._step(s) if self._running is results else None
        )
        results.ready.connect(
            lambda o: self._done(o) if self._running is results else None
        )
        self._running = results

        def work() -> None:
            try:
                outcome: object = attempt(servers, user, password, results.step.emit)
            except Exception as error:  # a worker's last resort, shown on the page
                outcome = error
            results.ready.emit(outcome)

        threading.Thread(target=work, daemon=True).start()
        self.completeChanged.emit()

    def _step(self, service: str) -> None:
        servers = self._wizard.servers
        assert servers is not None
        server = servers.smtp if service == "smtp" else servers.imap
        assert server is not None
        where = f"{server.host}:{server.port}"
        if service == "imap":
            self.progress.setValue(1)
            text = tr("Signing in to the incoming server {server}…", server=where)
        else:
            text = tr("Signing in to the outgoing server {server}…", server=where)
        self.step.setText(text)

    def _done(self, outcome: object) -> None:
        self._running = None
        self.step.clear()
        self.progress.setValue(self.progress.maximum())
        if not isinstance(outcome, ConnectionReport):
            self.results.setText(html.escape(str(outcome)))
            return
        self.report = outcome
        oauth = self._wizard.oauth_provider()
        lines = []
        for result in outcome.results:
            where = html.escape(f"{result.server.host}:{result.server.port}")
            name = tr("Outgoing") if result.service == "smtp" else tr("Incoming")
            if result.kind is None:
                text = tr("signed in")
                style = OK_STYLE
            else:
                text = tr(FAILURE_TEXT[result.kind.value])
                if oauth and result.kind.value == "password-refused":
                    text = tr(TOKEN_REFUSED, company=COMPANIES[oauth])
                if result.detail:
                    text += " " + tr("(The server said: {words})", words=result.detail)
                style = ERROR_STYLE
            lines.append(
                f"<p style='{style}'><b>{html.escape(name)}</b> {where}: "
                f"{html.escape(text)}</p>"
            )
        if outcome.ok:
            lines.append(html.escape(tr("Everything works. Next saves the account.")))
        elif self._wizard.oauth_provider():
            lines.append(html.escape(tr("Go back to sign in again.")))
        else:
            lines.append(html.escape(tr("Go back to change the password.")))
        self.results.setText("".join(lines))
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.report is not None and self.report.ok


class SavedPage(QWizardPage):
    """Saves the account; Finish shows how to point the mail program at BccGuard."""

    def __init__(self, wizard: AccountAssistant) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Account saved"))
        self.setSubTitle(tr("One step is left."))
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.saved = False

    def initializePage(self) -> None:
        servers = self._wizard.servers
        assert servers is not None
        provider = self._wizard.oauth_provider()
        if provider:
            problem = self._save_signed_in(servers, provider)
        else:
            credentials = self._wizard.credentials_page
            values = servers.account_values(servers.email)
            user = credentials.username.text()
            values["smtp_username"] = user
            if servers.imap is not None and not servers.imap.username:
                values["imap_username"] = user
            problem = self._wizard.save(values, credentials.password.text())
        self.saved = not problem
        if problem:
            self.setTitle(tr("Not saved"))
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(problem)
        elif self._wizard.again is not None:
            self.setTitle(tr("Signed in again"))
            self.message.setStyleSheet("")
            self.message.setText(
                tr(
                    "{account} is signed in again. The messages that waited for "
                    "this sign-in are sent now.",
                    account=self._wizard.again.name,
                )
            )
        else:
            self.setTitle(tr("Account saved"))
            self.message.setStyleSheet("")
            self.message.setText(
                tr(
                    "{email} is saved, and BccGuard now checks the mail it sends. "
                    "Your mail program must send through BccGuard too: Finish "
                    "shows you how to set it up.",
                    email=servers.email,
                )
            )
        self.completeChanged.emit()

    def _save_signed_in(self, servers: MailServers, provider: str) -> str:
        """Keep the OAuth2 tokens, then save the account that signs in with them."""
        tokens = self._wizard.oauth_page.tokens
        tools = self._wizard.tools.sign_in
        assert tokens is not None and tools is not None
        again = self._wizard.again
        name = again.name if again is not None else servers.email
        try:
            tools.store(name, provider, tokens)
        except Exception as error:  # the keyring's own errors, shown on the page
            return str(error)
        values = servers.account_values(name)
        values.update(oauth=provider, smtp_username=servers.username())
        if servers.imap is not None:
            values["imap_oauth2"] = True
        return self._wizard.save(values, "")

    def isComplete(self) -> bool:
        return self.saved


class AccountAssistant(QWizard):
    """Adds one account by its address, from discovery to a passing test."""

    def __init__(
        self,
        tools: AccountTools,
        save: Save,
        *,
        again: Account | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Add an account, or with ``again`` sign in again to that one.

        Args:
            tools: What the pages call.
            save: Saves an account's settings keys (and password); returns why
                not, or "".
            again: An OAuth2 account whose sign-in expired: the assistant starts
                at the sign-in and ``save`` is told of it once it worked.
        """
        super().__init__(parent)
        self.tools = tools
        self.save = save
        self.again = again
        self.servers: MailServers | None = (
            servers_of(again) if again is not None else None
        )
        self.setWindowTitle(
            tr("BccGuard — sign in again")
            if again is not None
            else tr("BccGuard — add an account")
        )
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.resize(640, 480)
        name_buttons(self)
        self.address_page = AddressPage(self)
        self.servers_page = ServersPage(self)
        self.credentials_page = CredentialsPage(self)
        self.oauth_page = OAuthSignInPage(self)
        self.test_page = ConnectionTestPage(self)
        self.saved_page = SavedPage(self)
        pages = (
            self.address_page,
            self.servers_page,
            self.credentials_page,
            self.oauth_page,
            self.test_page,
            self.saved_page,
        )
        for number, page in zip(
            (ADDRESS, SERVERS, CREDENTIALS, OAUTH, TEST, SAVED), pages, strict=True
        ):
            self.setPage(number, page)
        if again is not None:
            self.setStartId(OAUTH)

    def oauth_provider(self) -> str:
        """ "google" or "microsoft" when these servers sign in by OAuth2 here (the
        provider wants it and BccGuard has a client id for it); else ""."""
        servers = self.servers
        provider = PROVIDERS.get(servers.auth, "") if servers is not None else ""
        if not provider or self.tools.sign_in is None:
            return ""
        try:
            self.tools.sign_in.client(provider)
        except OAuthConfigError:
            return ""
        return provider

    def done(self, result: int) -> None:
        """Closed (finished or not): a sign-in under way ends with it."""
        self.oauth_page.cleanupPage()
        super().done(result)


def servers_of(account: Account) -> MailServers:
    """The servers of a saved account, as the pages show them."""
    auth = {"google": Auth.OAUTH2_GOOGLE, "microsoft": Auth.OAUTH2_MICROSOFT}.get(
        account.oauth, Auth.PASSWORD
    )
    imap = (
        Server(
            account.imap_host,
            account.imap_port,
            account.imap_tls,
            account.imap_username,
        )
        if account.imap_host
        else None
    )
    return MailServers(
        account.email,
        Server(
            account.smtp_host,
            account.smtp_port,
            account.smtp_tls,
            account.smtp_username,
        ),
        imap,
        Source.BUNDLED,
        f"account {account.name}",
        auth=auth,
        limits=account.provider,
    )
