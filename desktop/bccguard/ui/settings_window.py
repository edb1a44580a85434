"""The settings window: accounts, policy, mail programs and general options.

Every tab only collects values; Save builds the settings mapping and lets
``settings_from_mapping`` judge it, so the window never saves a bad value.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bccguard.adapters import autostart
from bccguard.adapters.secrets import SecretStore, SecretStoreError
from bccguard.adapters.settings_file import save_settings
from bccguard.core.settings import (
    Settings,
    SettingsError,
    settings_from_mapping,
    settings_to_mapping,
)
from bccguard.ui.account_assistant import AccountAssistant, AccountTools
from bccguard.ui.i18n import tr, tr_settings_error
from bccguard.ui.oauth_sign_in_page import sign_in_tools
from bccguard.ui.settings_accounts import AccountsTab
from bccguard.ui.settings_form import (
    ERROR_STYLE,
    OK_STYLE,
    choice_box,
    number_box,
    wrapped_label,
)
from bccguard.ui.settings_rules import RulesTab

_TABS = {"accounts": 0, "policy": 1, "rules": 2, "lists": 2, "proxy": 3, "ui": 4}


class _PolicyTab(QWidget):
    """Threshold, trusted domains, and what happens to a held message."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        policy = settings.policy
        self.threshold = number_box(0, 100_000, policy.threshold)
        self.action = choice_box(
            {
                "ask": tr("Ask me"),
                "convert": tr("Convert to Bcc and send without asking"),
                "block": tr("Don't send (the mail program keeps it)"),
            },
            policy.action,
        )
        self.to_style = choice_box(
            {
                "sender": tr("My own address"),
                "undisclosed": tr("undisclosed-recipients:; (nobody)"),
            },
            policy.to_style,
        )
        self.domains = QListWidget()
        self.domains.addItems(list(policy.trusted_domains))
        self.domain = QLineEdit()
        self.domain.setPlaceholderText(tr("e.g. mycompany.example"))
        self.domain.returnPressed.connect(self.add_domain)
        self.add_button = QPushButton(tr("Add"))
        self.add_button.clicked.connect(self.add_domain)
        self.remove_button = QPushButton(tr("Remove"))
        self.remove_button.clicked.connect(self._remove_domain)
        self.domain_error = QLabel()
        self.domain_error.setWordWrap(True)
        self.domain_error.setStyleSheet(ERROR_STYLE)
        self.domain_error.hide()

        entry = QHBoxLayout()
        entry.addWidget(self.domain, 1)
        entry.addWidget(self.add_button)
        entry.addWidget(self.remove_button)
        trusted = QGroupBox(tr("Trusted domains"))
        box = QVBoxLayout(trusted)
        box.addWidget(
            wrapped_label(
                tr(
                    "People at these domains know each other (colleagues), "
                    "so they do not count. Public mail domains such as "
                    "gmail.com cannot be trusted."
                )
            )
        )
        box.addWidget(self.domains, 1)
        box.addLayout(entry)
        box.addWidget(self.domain_error)

        form = QFormLayout()
        form.addRow(
            tr("Hold a message when more than this many people would see each other:"),
            self.threshold,
        )
        form.addRow(tr("When a message is held:"), self.action)
        form.addRow(tr("To after the conversion:"), self.to_style)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(trusted, 1)

    def domain_list(self) -> list[str]:
        """The trusted domains as listed."""
        return [self.domains.item(i).text() for i in range(self.domains.count())]

    def add_domain(self) -> None:
        """Add the typed domain unless the policy refuses it (says why inline)."""
        domain = self.domain.text().strip().lstrip("@").lower()
        if not domain or domain in self.domain_list():
            self.domain.clear()
            return
        try:
            settings_from_mapping(
                {"policy": {"trusted_domains": [*self.domain_list(), domain]}}
            )
        except SettingsError as error:
            self.domain_error.setText(tr_settings_error(error))
            self.domain_error.show()
            return
        self.domain_error.hide()
        self.domains.addItem(domain)
        self.domain.clear()

    def _remove_domain(self) -> None:
        for item in self.domains.selectedItems():
            self.domains.takeItem(self.domains.row(item))

    def mapping(self) -> dict[str, Any]:
        """The edited keys of the ``policy`` table."""
        return {
            "threshold": self.threshold.value(),
            "trusted_domains": self.domain_list(),
            "action": self.action.currentData(),
            "to_style": self.to_style.currentData(),
        }


class _MailProgramsTab(QWidget):
    """The proxy port, the local secret, and how to set up each mail program."""

    def __init__(self, settings: Settings, secret: str) -> None:
        super().__init__()
        self.port = number_box(0, 99_999, settings.proxy.port)
        self.secret = QLineEdit(secret)
        self.secret.setReadOnly(True)
        self.copy_button = QPushButton(tr("Copy"))
        self.copy_button.setToolTip(
            tr("Paste it as the password of the outgoing server in your mail program.")
        )
        self.copy_button.clicked.connect(self.copy_secret)
        self.copied = QLabel()
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret, 1)
        secret_row.addWidget(self.copy_button)
        secret_row.addWidget(self.copied)
        form = QFormLayout()
        form.addRow(tr("Port on 127.0.0.1"), self.port)
        form.addRow(tr("Local secret"), secret_row)

        self.server = QLabel()
        self.server.setWordWrap(True)
        self.server.setTextFormat(Qt.TextFormat.RichText)
        self.server.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        clients = QGroupBox(tr("Set up your mail program"))
        box = QVBoxLayout(clients)
        box.addWidget(self.server)
        for name, steps in (
            (
                "Thunderbird",
                tr(
                    "Account Settings → Outgoing Server (SMTP) → Add…; then "
                    "pick this server in your account's settings."
                ),
            ),
            (
                "Outlook",
                tr(
                    "File → Account Settings → Server Settings → Outgoing mail "
                    "(IMAP and POP accounts)."
                ),
            ),
            (
                "Apple Mail",
                tr(
                    "Mail → Settings → Accounts → Server Settings → Outgoing "
                    "Mail Account → Edit SMTP Server List; untick "
                    "“Automatically manage connection settings”."
                ),
            ),
        ):
            label = QLabel(f"<b>{name}</b>: {html.escape(steps)}")
            label.setWordWrap(True)
            box.addWidget(label)
        box.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            wrapped_label(
                tr(
                    "Mail programs authenticate to BccGuard with the local "
                    "secret. A new port is used after BccGuard restarts."
                )
            )
        )
        layout.addWidget(clients, 1)
        self.port.valueChanged.connect(self._show_server)
        self._show_server()

    def _show_server(self) -> None:
        rows = (
            (tr("Outgoing server"), "127.0.0.1"),
            (tr("Port"), str(self.port.value())),
            (
                tr("Connection security"),
                tr("None (the connection stays on this computer)"),
            ),
            (tr("Authentication"), tr("Normal password")),
            (tr("User name"), tr("anything, e.g. your e-mail address")),
            (tr("Password"), tr("the local secret above")),
        )
        cells = "".join(
            f"<tr><td style='padding-right:12px'>{html.escape(k)}</td>"
            f"<td><b>{html.escape(v)}</b></td></tr>"
            for k, v in rows
        )
        self.server.setText(
            html.escape(tr("In every mail program, the outgoing (SMTP) server is:"))
            + f"<table>{cells}</table>"
        )

    def copy_secret(self) -> None:
        """Put the local secret on the clipboard."""
        QGuiApplication.clipboard().setText(self.secret.text())
        self.copied.setText(tr("Copied."))


class _GeneralTab(QWidget):
    """Start at login and the language."""

    def __init__(self, settings: Settings, start_at_login: bool) -> None:
        super().__init__()
        self.autostart = QCheckBox(tr("Start BccGuard when I log in"))
        self.autostart.setChecked(start_at_login)
        self.language = choice_box(
            {
                "auto": tr("Automatic (system language)"),
                "en": "English",
                "it": "Italiano",
            },
            settings.ui.language,
        )
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(tr("Language"), self.language)
        layout = QVBoxLayout(self)
        layout.addWidget(self.autostart)
        layout.addLayout(form)
        layout.addWidget(
            wrapped_label(tr("A new language is used by windows opened after saving."))
        )
        layout.addStretch(1)


class SettingsWindow(QWidget):
    """Edits the settings; Save validates them all, then writes file and secrets."""

    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        config_path: Path,
        on_saved: Callable[[Settings], None],
        *,
        proxy_secret: str,
        account_tools: AccountTools | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._account_tools = account_tools
        self._secrets = secrets
        self.assistant: AccountAssistant | None = None
        self.settings = settings
        self._config_path = config_path
        self._on_saved = on_saved
        self.setWindowTitle(tr("BccGuard — settings"))

        self.accounts = AccountsTab(settings.accounts, secrets)
        self.accounts.assistant_button.clicked.connect(self.open_assistant)
        self.policy = _PolicyTab(settings)
        self.rules = RulesTab(settings)
        self.mail_programs = _MailProgramsTab(settings, proxy_secret)
        self.general = _GeneralTab(settings, autostart.is_enabled())
        self.tabs = QTabWidget()
        self.tabs.addTab(self.accounts, tr("Accounts"))
        self.tabs.addTab(self.policy, tr("Policy"))
        self.tabs.addTab(self.rules, tr("Rules"))
        self.tabs.addTab(self.mail_programs, tr("Mail programs"))
        self.tabs.addTab(self.general, tr("General"))

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.save_button = QPushButton(tr("Save"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton(tr("Close"))
        self.close_button.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        # Big enough for the tallest tab (Rules, in Italian above all): its
        # wrapped texts ask for more than Qt's minimum reckons with.
        hint = self.sizeHint()
        self.resize(max(780, hint.width()), max(580, hint.height() + 40))

    def open_assistant(self) -> AccountAssistant:
        """Open the add-account assistant; it saves through this window."""
        if self._account_tools is None:
            self._account_tools = AccountTools(
                sign_in=sign_in_tools(lambda: self.settings, self._secrets)
            )
        self.assistant = AccountAssistant(
            self._account_tools, self._save_found, parent=self
        )
        self.assistant.setWindowModality(Qt.WindowModality.WindowModal)
        self.assistant.accepted.connect(self._show_mail_programs)
        self.assistant.show()
        return self.assistant

    def _save_found(self, values: dict[str, Any], password: str) -> str:
        self.accounts.add_found(values, password)
        return "" if self.save() else self.status.text()

    def _show_mail_programs(self) -> None:
        """After adding an account: how to point the mail program at BccGuard."""
        self.tabs.setCurrentIndex(_TABS["proxy"])
        self.raise_()
        self.activateWindow()

    def show_port(self) -> None:
        """Open at the proxy's port, ready to type another one."""
        self.tabs.setCurrentWidget(self.mail_programs)
        self.mail_programs.port.setFocus()
        self.mail_programs.port.selectAll()

    def mapping(self) -> dict[str, Any]:
        """The settings as edited, in the form ``settings_from_mapping`` checks."""
        data = settings_to_mapping(self.settings)
        data["policy"].update(self.policy.mapping())
        data["proxy"]["port"] = self.mail_programs.port.value()
        data["ui"]["language"] = self.general.language.currentData()
        data["accounts"] = self.accounts.mapping()
        data.update(self.rules.mapping())
        return data

    def save(self) -> bool:
        """Validate and save everything, or nothing; returns True when saved."""
        try:
            settings = settings_from_mapping(self.mapping())
        except SettingsError as error:
            section = re.match(r"[a-z]*", str(error))
            if section and section.group() in _TABS:
                self.tabs.setCurrentIndex(_TABS[section.group()])
            self.rules.select(error.path)
            return self._fail(tr_settings_error(error))
        try:
            self.accounts.store_secrets(settings.accounts)
            save_settings(self._config_path, settings)
            self._apply_autostart()
        except (SecretStoreError, autostart.AutostartError) as error:
            return self._fail(str(error))
        except OSError as error:
            return self._fail(f"{self._config_path}: {error.strerror}")
        self.settings = settings
        self.status.setStyleSheet(OK_STYLE)
        self.status.setText(tr("Saved."))
        self._on_saved(settings)
        return True

    def _apply_autostart(self) -> None:
        wanted = self.general.autostart.isChecked()
        if wanted and not autostart.is_enabled():
            autostart.enable(autostart.launch_command())
        elif not wanted and autostart.is_enabled():
            autostart.disable()

    def _fail(self, message: str) -> bool:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(tr("Not saved: {error}", error=message))
        return False
