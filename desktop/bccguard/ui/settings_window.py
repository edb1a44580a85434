"""The settings window: accounts, policy, mail programs and general options.

Every tab only collects values; Save builds the settings mapping and lets
``settings_from_mapping`` judge it, so the window never saves a bad value.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bccguard.adapters import autostart
from bccguard.adapters.secrets import SecretStore, SecretStoreError
from bccguard.adapters.settings_file import save_settings
from bccguard.core.settings import (
    PROVIDER_RECIPIENT_LIMITS,
    Account,
    Settings,
    SettingsError,
    settings_from_mapping,
    settings_to_mapping,
)
from bccguard.service import account_password_key
from bccguard.ui.i18n import tr

_ERROR_STYLE = "color: #b3261e;"
_OK_STYLE = "color: #0d652d;"
_WARNING_STYLE = (
    "background: #fef7e0; color: #8a4b00; padding: 8px; border-radius: 4px;"
)
_TABS = {"accounts": 0, "policy": 1, "proxy": 2, "ui": 3}


def _combo(choices: dict[str, str], current: str) -> QComboBox:
    """A combo box of ``value: label`` pairs with ``current`` selected."""
    combo = QComboBox()
    for value, label in choices.items():
        combo.addItem(label, value)
    if combo.findData(current) < 0:
        combo.addItem(current, current)
    combo.setCurrentIndex(combo.findData(current))
    return combo


def _spin(low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setMinimumWidth(110)
    spin.setMaximumWidth(160)
    return spin


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


@dataclass
class _AccountRow:
    """One account being edited: its mapping, its saved name, a new password."""

    values: dict[str, Any]
    original: str | None = None
    password: str = ""
    has_password: bool = False


class _AccountsTab(QWidget):
    """The list of accounts and a form for the selected one."""

    def __init__(self, accounts: tuple[Account, ...], secrets: SecretStore) -> None:
        super().__init__()
        self._secrets = secrets
        self.rows = [
            _AccountRow(
                settings_to_mapping(Settings(accounts=(a,)))["accounts"][0],
                original=a.name,
                has_password=self._stored(a.name),
            )
            for a in accounts
        ]
        self.removed: list[str] = []
        self._loading = False

        self.list = QListWidget()
        self.list.setMinimumWidth(200)
        self.add_button = QPushButton(tr("Add"))
        self.remove_button = QPushButton(tr("Remove"))
        self.add_button.clicked.connect(self.add_account)
        self.remove_button.clicked.connect(self.remove_account)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)

        self.form_box = QGroupBox(tr("Account"))
        self._build_form(QFormLayout(self.form_box))
        top = QHBoxLayout()
        top.addLayout(left)
        top.addWidget(self.form_box, 1)

        self.warning = QLabel(
            tr(
                "No secure keyring was found, so passwords are kept in a file that "
                "only your user account can read."
            )
        )
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(_WARNING_STYLE)
        self.warning.setVisible(not secrets.secure)
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning)
        layout.addLayout(top, 1)
        if secrets.secure:  # otherwise the warning above says where
            where = tr("Passwords are kept in: {where}.", where=secrets.description)
            layout.addWidget(_note(where))

        for row in self.rows:
            self.list.addItem(self._title(row))
        self.list.currentRowChanged.connect(self._show_row)
        self.list.setCurrentRow(0 if self.rows else -1)
        self._show_row(self.list.currentRow())

    def _build_form(self, form: QFormLayout) -> None:
        self.name = QLineEdit()
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@example.org")
        self.host = QLineEdit()
        self.host.setPlaceholderText("smtp.example.org")
        self.port = _spin(0, 99_999, 587)
        self.security = _combo(
            {
                "starttls": tr("STARTTLS (usually port 587)"),
                "implicit": tr("TLS from the start (usually port 465)"),
            },
            "starttls",
        )
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.provider = _combo(
            {"gmail": "Gmail", "microsoft365": "Microsoft 365", "other": tr("Other")},
            "other",
        )
        self.limit = _spin(1, 100_000, PROVIDER_RECIPIENT_LIMITS["other"])
        self.own_threshold = QCheckBox(tr("Own threshold:"))
        self.threshold = _spin(0, 100_000, 10)
        threshold_row = QHBoxLayout()
        threshold_row.addWidget(self.own_threshold)
        threshold_row.addWidget(self.threshold)
        threshold_row.addStretch(1)
        self.imap_host = QLineEdit()
        self.imap_host.setPlaceholderText(tr("imap.example.org (optional)"))
        self.imap_host.setToolTip(
            tr("Watch Drafts, Sent and replies of this account over IMAP")
        )
        self.imap_port = _spin(0, 99_999, 993)
        self.imap_security = _combo(
            {
                "implicit": tr("TLS from the start (usually port 993)"),
                "starttls": tr("STARTTLS (usually port 143)"),
            },
            "implicit",
        )
        form.addRow(tr("Name"), self.name)
        form.addRow(tr("E-mail address"), self.email)
        form.addRow(tr("Outgoing (SMTP) server"), self.host)
        form.addRow(tr("Port"), self.port)
        form.addRow(tr("Security"), self.security)
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Password"), self.password)
        form.addRow(tr("Provider"), self.provider)
        form.addRow(tr("Recipients per message"), self.limit)
        form.addRow(tr("For this identity"), threshold_row)
        form.addRow(tr("Incoming (IMAP) server"), self.imap_host)
        form.addRow(tr("IMAP port"), self.imap_port)
        form.addRow(tr("IMAP security"), self.imap_security)
        for line in (
            self.name,
            self.email,
            self.host,
            self.username,
            self.password,
            self.imap_host,
        ):
            line.textEdited.connect(self._store)
        for spin in (self.port, self.limit, self.threshold, self.imap_port):
            spin.valueChanged.connect(self._store)
        self.security.currentIndexChanged.connect(self._store)
        self.imap_security.currentIndexChanged.connect(self._store)
        self.provider.activated.connect(self._provider_chosen)
        self.own_threshold.toggled.connect(self.threshold.setEnabled)
        self.own_threshold.toggled.connect(self._store)

    # -- rows ------------------------------------------------------------------

    def _stored(self, name: str) -> bool:
        try:
            return bool(self._secrets.get(account_password_key(name)))
        except SecretStoreError:
            return False

    @staticmethod
    def _title(row: _AccountRow) -> str:
        name = str(row.values.get("name") or tr("(no name)"))
        email = row.values.get("email")
        return f"{name} — {email}" if email else name

    def add_account(self) -> None:
        """Add an empty account and select it for editing."""
        self.rows.append(
            _AccountRow(
                {
                    "name": tr("New account"),
                    "email": "",
                    "smtp_host": "",
                    "smtp_port": 587,
                }
            )
        )
        self.list.addItem(self._title(self.rows[-1]))
        self.list.setCurrentRow(len(self.rows) - 1)
        self.name.setFocus()
        self.name.selectAll()

    def remove_account(self) -> None:
        """Remove the selected account (its password goes when saving)."""
        index = self.list.currentRow()
        if index < 0:
            return
        row = self.rows.pop(index)
        if row.original is not None:
            self.removed.append(row.original)
        self.list.takeItem(index)
        self._show_row(self.list.currentRow())

    def _show_row(self, index: int) -> None:
        # While an item is taken out, Qt may report a row that is already gone.
        valid = 0 <= index < len(self.rows)
        self.form_box.setEnabled(valid)
        self.remove_button.setEnabled(valid)
        if not valid:
            return
        row = self.rows[index]
        v = row.values
        self._loading = True
        self.name.setText(str(v.get("name", "")))
        self.email.setText(str(v.get("email", "")))
        self.host.setText(str(v.get("smtp_host", "")))
        self.port.setValue(int(v.get("smtp_port", 587)))
        self._select(self.security, str(v.get("smtp_tls", "starttls")))
        self.username.setText(str(v.get("smtp_username", "")))
        self.imap_host.setText(str(v.get("imap_host", "")))
        self.imap_port.setValue(int(v.get("imap_port", 993)))
        self._select(self.imap_security, str(v.get("imap_tls", "implicit")))
        provider = str(v.get("provider", "other"))
        self._select(self.provider, provider)
        preset = PROVIDER_RECIPIENT_LIMITS.get(provider, 100)
        self.limit.setValue(int(v.get("max_recipients", 0)) or preset)
        threshold = v.get("threshold")
        self.own_threshold.setChecked(threshold is not None)
        self.threshold.setEnabled(threshold is not None)
        if threshold is not None:
            self.threshold.setValue(int(threshold))
        self.password.setText(row.password)
        self.password.setPlaceholderText(
            tr("Stored; leave empty to keep it")
            if row.has_password
            else tr("Not stored yet")
        )
        self._loading = False

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        if combo.findData(value) < 0:
            combo.addItem(value, value)
        combo.setCurrentIndex(combo.findData(value))

    def _provider_chosen(self) -> None:
        self.limit.setValue(PROVIDER_RECIPIENT_LIMITS[self.provider.currentData()])
        self._store()

    def _store(self) -> None:
        """Copy the form into the selected row."""
        index = self.list.currentRow()
        if self._loading or index < 0:
            return
        row = self.rows[index]
        provider = str(self.provider.currentData())
        limit = self.limit.value()
        values: dict[str, Any] = {
            "name": self.name.text(),
            "email": self.email.text(),
            "smtp_host": self.host.text(),
            "smtp_port": self.port.value(),
            "smtp_tls": self.security.currentData(),
            "smtp_username": self.username.text(),
            "provider": provider,
            "max_recipients": 0
            if limit == PROVIDER_RECIPIENT_LIMITS[provider]
            else limit,
            "imap_host": self.imap_host.text().strip(),
            "imap_port": self.imap_port.value(),
            "imap_tls": self.imap_security.currentData(),
        }
        # Keep what the form does not show (e.g. the identity's own action).
        kept = {k: v for k, v in row.values.items() if k != "threshold"}
        values = {**kept, **values}
        if self.own_threshold.isChecked():
            values["threshold"] = self.threshold.value()
        row.values = values
        row.password = self.password.text()
        item = self.list.item(index)
        if item is not None:
            item.setText(self._title(row))

    # -- saving ----------------------------------------------------------------

    def mapping(self) -> list[dict[str, Any]]:
        """The ``accounts`` part of the settings mapping."""
        return [dict(row.values) for row in self.rows]

    def store_secrets(self, accounts: tuple[Account, ...]) -> None:
        """Move passwords to the secret store once valid (raises SecretStoreError).

        ``accounts`` are the validated accounts, in the order of the rows.
        """
        writes: dict[str, str] = {}
        drops = [account_password_key(name) for name in self.removed]
        for row, account in zip(self.rows, accounts, strict=True):
            new_key = account_password_key(account.name)
            if row.password:
                writes[new_key] = row.password
            if row.original is not None and row.original != account.name:
                old_key = account_password_key(row.original)
                moved = self._secrets.get(old_key)
                if moved and not row.password:
                    writes[new_key] = moved
                drops.append(old_key)
        for key, value in writes.items():
            self._secrets.set(key, value)
        for key in drops:
            if key not in writes:
                self._secrets.delete(key)
        for row, account in zip(self.rows, accounts, strict=True):
            row.original = account.name
            row.has_password = row.has_password or bool(row.password)
            row.password = ""
        self.removed.clear()
        self._show_row(self.list.currentRow())


class _PolicyTab(QWidget):
    """Threshold, trusted domains, and what happens to a held message."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        policy = settings.policy
        self.threshold = _spin(0, 100_000, policy.threshold)
        self.action = _combo(
            {
                "ask": tr("Ask me"),
                "convert": tr("Convert to Bcc and send without asking"),
                "block": tr("Don't send (the mail program keeps it)"),
            },
            policy.action,
        )
        self.to_style = _combo(
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
        self.domain_error.setStyleSheet(_ERROR_STYLE)
        self.domain_error.hide()

        entry = QHBoxLayout()
        entry.addWidget(self.domain, 1)
        entry.addWidget(self.add_button)
        entry.addWidget(self.remove_button)
        trusted = QGroupBox(tr("Trusted domains"))
        box = QVBoxLayout(trusted)
        box.addWidget(
            _note(
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
            self.domain_error.setText(str(error))
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
        self.port = _spin(0, 99_999, settings.proxy.port)
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
            _note(
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
        self.language = _combo(
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
            _note(tr("A new language is used by windows opened after saving."))
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
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._config_path = config_path
        self._on_saved = on_saved
        self.setWindowTitle(tr("BccGuard — settings"))
        self.resize(780, 580)

        self.accounts = _AccountsTab(settings.accounts, secrets)
        self.policy = _PolicyTab(settings)
        self.mail_programs = _MailProgramsTab(settings, proxy_secret)
        self.general = _GeneralTab(settings, autostart.is_enabled())
        self.tabs = QTabWidget()
        self.tabs.addTab(self.accounts, tr("Accounts"))
        self.tabs.addTab(self.policy, tr("Policy"))
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

    def mapping(self) -> dict[str, Any]:
        """The settings as edited, in the form ``settings_from_mapping`` checks."""
        data = settings_to_mapping(self.settings)
        data["policy"].update(self.policy.mapping())
        data["proxy"]["port"] = self.mail_programs.port.value()
        data["ui"]["language"] = self.general.language.currentData()
        data["accounts"] = self.accounts.mapping()
        return data

    def save(self) -> bool:
        """Validate and save everything, or nothing; returns True when saved."""
        try:
            settings = settings_from_mapping(self.mapping())
        except SettingsError as error:
            section = re.match(r"[a-z]*", str(error))
            if section and section.group() in _TABS:
                self.tabs.setCurrentIndex(_TABS[section.group()])
            return self._fail(str(error))
        try:
            self.accounts.store_secrets(settings.accounts)
            save_settings(self._config_path, settings)
            self._apply_autostart()
        except (SecretStoreError, autostart.AutostartError) as error:
            return self._fail(str(error))
        except OSError as error:
            return self._fail(f"{self._config_path}: {error.strerror}")
        self.settings = settings
        self.status.setStyleSheet(_OK_STYLE)
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
        self.status.setStyleSheet(_ERROR_STYLE)
        self.status.setText(tr("Not saved: {error}", error=message))
        return False
