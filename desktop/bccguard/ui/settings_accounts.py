"""The settings window's Accounts tab: servers, logins, passwords in the keyring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from bccguard.adapters.secrets import SecretStore, SecretStoreError
from bccguard.core.send_budget import default_daily_limit
from bccguard.core.settings import (
    PROVIDER_RECIPIENT_LIMITS,
    UNDO_DELAYS,
    Account,
    Settings,
    SettingsError,
    account_from_mapping,
    settings_to_mapping,
)
from bccguard.service import account_password_key
from bccguard.ui.i18n import tr, tr_phrase
from bccguard.ui.settings_form import (
    ERROR_STYLE,
    WARNING_STYLE,
    choice_box,
    number_box,
    wrapped_label,
)


def undo_delay_choices() -> dict[str, str]:
    """Undo send's delays in words: "Off", "5 s", ..."""
    return {str(d): tr("Off") if d == 0 else tr("{s} s", s=d) for d in UNDO_DELAYS}


@dataclass
class AccountRow:
    """One account being edited: its mapping, its saved name, a new password."""

    values: dict[str, Any]
    original: str | None = None
    password: str = ""
    has_password: bool = False


class AccountsTab(QWidget):
    """The list of accounts and a form for the selected one."""

    def __init__(self, accounts: tuple[Account, ...], secrets: SecretStore) -> None:
        super().__init__()
        self._secrets = secrets
        self.rows = [
            AccountRow(
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
        self.assistant_button = QPushButton(tr("Add by address…"))
        self.assistant_button.setToolTip(
            tr("Type an e-mail address; BccGuard finds the servers and tests them")
        )
        self.remove_button = QPushButton(tr("Remove"))
        self.add_button.clicked.connect(self.add_account)
        self.remove_button.clicked.connect(self.remove_account)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addWidget(self.assistant_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)

        self.form_box = QGroupBox(tr("Account"))
        self._build_form(QFormLayout(self.form_box))
        self.empty_state = self._empty_state()
        # The form, or (no account selected) what to do: no example values in grey.
        self.pane = QStackedWidget()
        self.pane.addWidget(self.empty_state)
        self.pane.addWidget(self.form_box)
        top = QHBoxLayout()
        top.addLayout(left)
        top.addWidget(self.pane, 1)

        self.warning = QLabel(
            tr(
                "No secure keyring was found, so passwords are kept in a file that "
                "only your user account can read."
            )
        )
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.setVisible(not secrets.secure)
        layout = QVBoxLayout(self)
        layout.addWidget(self.warning)
        layout.addLayout(top, 1)
        if secrets.secure:  # otherwise the warning above says where
            where = tr(
                "Passwords are kept in {where}.", where=tr_phrase(secrets.description)
            )
            layout.addWidget(wrapped_label(where))

        for row in self.rows:
            self.list.addItem(self._title(row))
        self.list.currentRowChanged.connect(self._show_row)
        self.list.setCurrentRow(0 if self.rows else -1)
        self._show_row(self.list.currentRow())

    def _empty_state(self) -> QWidget:
        """What shows while there is no account: a sentence and the way to add one."""
        page = QWidget()
        self.empty_add_button = QPushButton(tr("Add by address…"))
        self.empty_add_button.setDefault(True)
        font = self.empty_add_button.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.empty_add_button.setFont(font)
        self.empty_add_button.setMinimumHeight(40)
        self.empty_add_button.clicked.connect(self.assistant_button.click)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(
            wrapped_label(
                tr(
                    "No account yet. Add one by its address — BccGuard finds the "
                    "servers."
                )
            )
        )
        layout.addWidget(self.empty_add_button)
        layout.addWidget(
            wrapped_label(tr("Or choose Add to type the servers in yourself."))
        )
        layout.addStretch(2)
        return page

    def _build_form(self, form: QFormLayout) -> None:
        self.name = QLineEdit()
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@example.org")
        self.host = QLineEdit()
        self.host.setPlaceholderText("smtp.example.org")
        self.port = number_box(0, 99_999, 587)
        self.security = choice_box(
            {
                "starttls": tr("STARTTLS (usually port 587)"),
                "implicit": tr("TLS from the start (usually port 465)"),
                "none": tr("None (only for a server on this computer)"),
            },
            "starttls",
        )
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.provider = choice_box(
            {"gmail": "Gmail", "microsoft365": "Microsoft 365", "other": tr("Other")},
            "other",
        )
        self.limit = number_box(1, 100_000, PROVIDER_RECIPIENT_LIMITS["other"])
        self.daily = number_box(1, 1_000_000, default_daily_limit("other", ""))
        self.daily.setToolTip(
            tr(
                "Recipients your provider lets this account send to in 24 hours; "
                "Send one by one stays within it"
            )
        )
        self.own_threshold = QCheckBox(tr("Own threshold:"))
        self.threshold = number_box(0, 100_000, 10)
        threshold_row = QHBoxLayout()
        threshold_row.addWidget(self.own_threshold)
        threshold_row.addWidget(self.threshold)
        threshold_row.addStretch(1)
        self.undo_delay = choice_box(undo_delay_choices(), "0")
        self.undo_delay.setToolTip(
            tr(
                "Undo send: each message from this account waits this long in "
                "BccGuard, with Undo and Send now, before it goes"
            )
        )
        self.imap_host = QLineEdit()
        self.imap_host.setPlaceholderText(tr("imap.example.org (optional)"))
        self.imap_host.setToolTip(
            tr("Watch Drafts, Sent and replies of this account over IMAP")
        )
        self.imap_port = number_box(0, 99_999, 993)
        self.imap_security = choice_box(
            {
                "implicit": tr("TLS from the start (usually port 993)"),
                "starttls": tr("STARTTLS (usually port 143)"),
                "none": tr("None (only for a server on this computer)"),
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
        form.addRow(tr("Recipients a day"), self.daily)
        form.addRow(tr("For this identity"), threshold_row)
        form.addRow(tr("Wait before sending"), self.undo_delay)
        form.addRow(tr("Incoming (IMAP) server"), self.imap_host)
        form.addRow(tr("IMAP port"), self.imap_port)
        form.addRow(tr("IMAP security"), self.imap_security)
        # An account that cannot work: its field, named as in this form, and why.
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        form.addRow(self.error)
        self._fields: dict[str, tuple[str, QWidget]] = {
            "name": (tr("Name"), self.name),
            "email": (tr("E-mail address"), self.email),
            "smtp_host": (tr("Outgoing (SMTP) server"), self.host),
            "smtp_port": (tr("Port"), self.port),
            "smtp_tls": (tr("Security"), self.security),
            "smtp_username": (tr("User name"), self.username),
            "provider": (tr("Provider"), self.provider),
            "max_recipients": (tr("Recipients per message"), self.limit),
            "daily_limit": (tr("Recipients a day"), self.daily),
            "threshold": (tr("For this identity"), self.threshold),
            "undo_delay": (tr("Wait before sending"), self.undo_delay),
            "imap_host": (tr("Incoming (IMAP) server"), self.imap_host),
            "imap_port": (tr("IMAP port"), self.imap_port),
            "imap_tls": (tr("IMAP security"), self.imap_security),
        }
        for line in (
            self.name,
            self.email,
            self.host,
            self.username,
            self.password,
            self.imap_host,
        ):
            line.textEdited.connect(self._store)
        for spin in (self.port, self.limit, self.daily, self.threshold, self.imap_port):
            spin.valueChanged.connect(self._store)
        self.security.currentIndexChanged.connect(self._store)
        self.imap_security.currentIndexChanged.connect(self._store)
        self.undo_delay.currentIndexChanged.connect(self._store)
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
    def _title(row: AccountRow) -> str:
        name = str(row.values.get("name") or tr("(no name)"))
        email = row.values.get("email")
        return f"{name} — {email}" if email and email != name else name

    def add_account(self) -> None:
        """Add an empty account and select it for editing."""
        self.rows.append(
            AccountRow(
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

    def add_found(self, values: dict[str, Any], password: str) -> None:
        """Add (or replace, by name) an account the assistant found and tested."""
        row = AccountRow(dict(values), password=password)
        names = [r.values.get("name") for r in self.rows]
        if values["name"] in names:
            index = names.index(values["name"])
            row.original = self.rows[index].original
            row.has_password = self.rows[index].has_password
            self.rows[index] = row
            item = self.list.item(index)
            if item is not None:
                item.setText(self._title(row))
        else:
            self.rows.append(row)
            self.list.addItem(self._title(row))
            index = len(self.rows) - 1
        self.list.setCurrentRow(index)
        self._show_row(index)

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
        self.pane.setCurrentWidget(self.form_box if valid else self.empty_state)
        self.remove_button.setEnabled(valid)
        self.error.hide()
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
        daily = default_daily_limit(provider, str(v.get("email", "")))
        self.daily.setValue(int(v.get("daily_limit", 0)) or daily)
        threshold = v.get("threshold")
        self.own_threshold.setChecked(threshold is not None)
        self.threshold.setEnabled(threshold is not None)
        if threshold is not None:
            self.threshold.setValue(int(threshold))
        self._select(self.undo_delay, str(v.get("undo_delay", 0)))
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
        provider = str(self.provider.currentData())
        self.limit.setValue(PROVIDER_RECIPIENT_LIMITS[provider])
        self.daily.setValue(default_daily_limit(provider, self.email.text()))
        self._store()

    def _store(self) -> None:
        """Copy the form into the selected row."""
        index = self.list.currentRow()
        if self._loading or index < 0:
            return
        self.error.hide()  # edited: judged again at Save
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
            "undo_delay": int(self.undo_delay.currentData()),
        }
        # The provider's own daily limit is kept as 0 (it follows the provider).
        daily = self.daily.value()
        preset = default_daily_limit(provider, self.email.text())
        values["daily_limit"] = 0 if daily == preset else daily
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
        """The ``accounts`` part of the settings mapping.

        The window asks for it when saving, so the accounts are judged here too:
        the first one that cannot work is selected and the form names its field
        (Save then refuses everything, with the same reason).
        """
        self.check()
        return [dict(row.values) for row in self.rows]

    def check(self) -> bool:
        """Show the first account whose settings cannot work; True when none."""
        for index, row in enumerate(self.rows):
            try:
                account_from_mapping(row.values, f"accounts[{index}]")
            except SettingsError as error:
                self.show_error(index, error)
                return False
        self.error.hide()
        return True

    def show_error(self, index: int, error: SettingsError) -> None:
        """Select account ``index`` and say which field is wrong and why."""
        if self.list.currentRow() != index:
            self.list.setCurrentRow(index)
        key = error.path.rpartition(".")[2]
        label, widget = self._fields.get(key, (key, None))
        self.error.setText(f"{label}: {tr(error.problem, **error.values)}")
        self.error.show()
        if widget is not None:
            widget.setFocus()

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
