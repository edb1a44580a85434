"""The assistant's page that signs in with Google or Microsoft in the browser.

The browser opens on the provider's sign-in address (also shown, with Copy);
the wait for its answer runs in a worker thread, with Cancel and a time limit,
and the outcome comes back as a signal. The tokens are kept by the page until
the account is saved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from bccguard.adapters import paths
from bccguard.adapters.oauth2_client import (
    OAuthClient,
    OAuthError,
    OAuthTemporaryError,
    oauth_client,
)
from bccguard.adapters.oauth2_sign_in import (
    SIGN_IN_TIMEOUT,
    PendingSignIn,
    SignInError,
    SignInFailure,
)
from bccguard.adapters.oauth2_tokens import TokenProvider, TokenState
from bccguard.adapters.secrets import SecretStore
from bccguard.core.discovery import Auth
from bccguard.core.settings import Settings
from bccguard.ui.i18n import N_, tr
from bccguard.ui.settings_form import ERROR_STYLE, OK_STYLE

if TYPE_CHECKING:
    from bccguard.ui.account_assistant import AccountAssistant

PROVIDERS = {Auth.OAUTH2_GOOGLE: "google", Auth.OAUTH2_MICROSOFT: "microsoft"}
COMPANIES = {"google": "Google", "microsoft": "Microsoft"}
README_SECTION = "Signing in with Google or Microsoft"

FAILURE_TEXT = {
    SignInFailure.DENIED: N_(
        "The sign-in was refused in the browser, so BccGuard has no permission to "
        "send your mail. Try again and allow BccGuard's access."
    ),
    SignInFailure.TIMED_OUT: N_(
        "The sign-in was not finished in the browser in the time allowed "
        "({minutes} min). Try again."
    ),
    SignInFailure.CANCELLED: N_("The sign-in was cancelled."),
    SignInFailure.MISMATCH: N_(
        "The answer that came back is not for this sign-in (an old browser tab, "
        "or a page that is not {company}'s). Nothing was kept. Try again from this "
        "page."
    ),
    SignInFailure.NO_REFRESH_TOKEN: N_(
        "{company} gave BccGuard no lasting permission (offline access), so it "
        "could not send later. Try again and allow it."
    ),
    SignInFailure.REFUSED: N_("{company} refused the sign-in."),
}
UNREACHABLE_TEXT = N_(
    "{company}'s sign-in server could not be reached. Check your Internet "
    "connection and try again."
)


def open_in_browser(url: str) -> bool:
    """Open ``url`` in the system browser; False when none could be started."""
    return QDesktopServices.openUrl(QUrl(url))


@dataclass(frozen=True)
class SignInTools:
    """What the sign-in page calls.

    Attributes:
        client: BccGuard's registration with a provider ("google",
            "microsoft"); raises OAuthConfigError when it has no client id.
        store: Keeps an account's new tokens (account name, provider, tokens).
        open_browser: Shows the sign-in address in a browser (None: the
            system browser, :func:`open_in_browser`).
        timeout: Seconds the user has to finish in the browser.
    """

    client: Callable[[str], OAuthClient]
    store: Callable[[str, str, TokenState], None]
    open_browser: Callable[[str], object] | None = None
    timeout: float = SIGN_IN_TIMEOUT


def sign_in_tools(
    settings: Callable[[], Settings], secrets: SecretStore, home: Path | None = None
) -> SignInTools:
    """The sign-in tools of the app: the client ids of ``settings``, the tokens
    kept in ``secrets`` under the refresh lock every BccGuard process shares."""

    def store(account: str, provider: str, tokens: TokenState) -> None:
        client = oauth_client(settings(), provider)
        where = home if home is not None else paths.home()
        TokenProvider(account, client, secrets, where).store(tokens)

    return SignInTools(client=lambda p: oauth_client(settings(), p), store=store)


class _Answer(QObject):
    """Carries the wait's outcome from its thread to the GUI thread."""

    ready = Signal(object)


class OAuthSignInPage(QWizardPage):
    """Sign in with the provider in the browser; Next once tokens came back."""

    def __init__(self, wizard: AccountAssistant) -> None:
        super().__init__()
        self._wizard = wizard
        self.tokens: TokenState | None = None
        self.state = "offer"  # offer | waiting | error | done (tests, screenshots)
        self._pending: PendingSignIn | None = None
        self._answer: _Answer | None = None
        self._deadline = 0.0
        self._no_browser = False  # the system has no browser to open
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.open_button = QPushButton()
        self.open_button.clicked.connect(self._open_browser)
        self.address_label = QLabel(
            tr("If your browser did not open, copy this address into it:")
        )
        self.address = QLineEdit()
        self.address.setReadOnly(True)
        self.copy_button = QPushButton(tr("Copy"))
        self.copy_button.clicked.connect(self._copy)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.status = QLabel()  # while waiting
        self.status.setWordWrap(True)
        self.outcome = QLabel()  # how it went, above what to do next
        self.outcome.setWordWrap(True)
        self.cancel_button = QPushButton(tr("Cancel the sign-in"))
        self.cancel_button.clicked.connect(self._cancel)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        address_row = QHBoxLayout()
        address_row.addWidget(self.address, 1)
        address_row.addWidget(self.copy_button)
        waiting_row = QHBoxLayout()
        waiting_row.addWidget(self.busy, 1)
        waiting_row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.outcome)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(8)
        layout.addWidget(self.address_label)
        layout.addLayout(address_row)
        layout.addSpacing(8)
        layout.addLayout(waiting_row)
        layout.addWidget(self.status)
        layout.addStretch(1)

    # -- what the page is about ----------------------------------------------------

    @property
    def provider(self) -> str:
        """ "google" or "microsoft": the provider of the servers found."""
        servers = self._wizard.servers
        return PROVIDERS.get(servers.auth, "") if servers is not None else ""

    @property
    def company(self) -> str:
        """The provider's name, as people know it."""
        return COMPANIES.get(self.provider, "")

    def initializePage(self) -> None:
        company = self.company
        servers = self._wizard.servers
        email = servers.email if servers is not None else ""
        self.setTitle(tr("Sign in with {company}", company=company))
        self.setSubTitle(
            tr(
                "{company} lets mail programs in only after you sign in on its own "
                "page, in your browser.",
                company=company,
            )
        )
        self.intro.setText(
            tr(
                "Your password goes to {company} only, never to BccGuard. "
                "{company} then gives BccGuard the permission to send and read the "
                "mail of {email}; BccGuard keeps it in your system's keyring.",
                company=company,
                email=email,
            )
        )
        self.open_button.setText(
            tr("Sign in with {company} in your browser", company=company)
        )
        self._restart()

    def cleanupPage(self) -> None:
        """Back: the sign-in under way ends (a new one starts on return)."""
        self._drop()

    def isComplete(self) -> bool:
        return self.tokens is not None

    # -- the steps -------------------------------------------------------------------

    def _restart(self) -> None:
        """A new sign-in: a new address (new state and PKCE verifier)."""
        self._drop()
        self.tokens = None
        servers = self._wizard.servers
        tools = self._wizard.tools.sign_in
        assert servers is not None and tools is not None
        try:
            self._pending = PendingSignIn(
                tools.client(self.provider), login_hint=servers.email
            )
        except (OAuthError, OSError) as error:
            self._show_error(str(error))
            return
        self.address.setText(self._pending.url)
        self.address.setCursorPosition(0)
        self._show("offer")
        self.completeChanged.emit()

    def _open_browser(self) -> None:
        if self.state in ("error", "done") or self._pending is None:
            self._restart()
        if self._pending is None:
            return
        tools = self._wizard.tools.sign_in
        assert tools is not None
        opener = tools.open_browser or open_in_browser
        self._no_browser = opener(self._pending.url) is False
        self._wait()

    def _copy(self) -> None:
        if self._pending is None:
            return
        self._no_browser = False
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self._pending.url)
        self._wait()

    def _wait(self) -> None:
        """Wait for the browser's answer in a worker thread (once per sign-in)."""
        pending, tools = self._pending, self._wizard.tools.sign_in
        if pending is None or tools is None or self.state == "waiting":
            return
        answer = _Answer()
        answer.ready.connect(
            lambda outcome: self._done(outcome) if self._answer is answer else None
        )
        self._answer = answer
        self._deadline = time.monotonic() + tools.timeout

        def work() -> None:
            try:
                outcome: object = pending.wait(tools.timeout)
            except Exception as error:  # a worker's last resort, shown on the page
                outcome = error
            answer.ready.emit(outcome)

        threading.Thread(target=work, name="oauth-sign-in", daemon=True).start()
        self._show("waiting")
        self._ticker.start()
        self._tick()

    def _tick(self) -> None:
        left = max(0, int(self._deadline - time.monotonic()))
        minutes, seconds = divmod(left, 60)
        text = tr(
            "Waiting for the browser… Finish signing in there; this page goes "
            "on by itself. ({minutes}:{seconds} left)",
            minutes=minutes,
            seconds=str(seconds).zfill(2),
        )
        if self._no_browser:
            text = (
                tr("No browser could be opened: copy the address into one.")
                + "\n"
                + text
            )
        self.status.setText(text)

    def _cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()

    def _done(self, outcome: object) -> None:
        self._answer = None
        self._ticker.stop()
        if self._pending is not None:
            self._pending.close()
            self._pending = None
        if isinstance(outcome, TokenState):
            self.tokens = outcome
            self._show("done")
            self.outcome.setStyleSheet(OK_STYLE)
            self.outcome.setText(
                tr(
                    "Signed in with {company}. Next tries the servers with this "
                    "sign-in.",
                    company=self.company,
                )
            )
            self.completeChanged.emit()
            return
        self._show_error(self._words(outcome))

    def _words(self, outcome: object) -> str:
        """What went wrong, in words a person can act on."""
        company = self.company
        if isinstance(outcome, SignInError):
            tools = self._wizard.tools.sign_in
            minutes = round((tools.timeout if tools else SIGN_IN_TIMEOUT) / 60) or 1
            return tr(FAILURE_TEXT[outcome.failure], company=company, minutes=minutes)
        if isinstance(outcome, OAuthTemporaryError):
            return tr(UNREACHABLE_TEXT, company=company)
        return str(outcome)

    def _show_error(self, text: str) -> None:
        self._show("error")
        self.outcome.setStyleSheet(ERROR_STYLE)
        self.outcome.setText(text)
        self.completeChanged.emit()

    def _show(self, state: str) -> None:
        self.state = state
        waiting = state == "waiting"
        self.busy.setVisible(waiting)
        self.cancel_button.setVisible(waiting)
        self.status.setVisible(waiting)
        self.outcome.setVisible(state in ("error", "done"))
        self.open_button.setVisible(state != "done")
        self.open_button.setEnabled(not waiting)
        if state == "error":
            self.open_button.setText(tr("Try again"))
        elif state == "offer":
            self.open_button.setText(
                tr("Sign in with {company} in your browser", company=self.company)
            )
        self.address_label.setVisible(state in ("offer", "waiting"))
        self.address.setVisible(state in ("offer", "waiting"))
        self.copy_button.setVisible(state in ("offer", "waiting"))
        if waiting:
            self.cancel_button.setFocus()  # not the address: it would be selected
            self.address.setCursorPosition(0)  # its start says where it goes

    def _drop(self) -> None:
        """End the sign-in under way, if any; its late answer is ignored."""
        self._answer = None
        self._ticker.stop()
        if self._pending is not None:
            self._pending.close()
            self._pending = None
        if self.state == "waiting":
            self._show("offer")
