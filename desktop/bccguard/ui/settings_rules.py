"""The settings window's Rules tab: recipient rules and the lists they name.

A rule: mail to these lists, addresses or domains always goes Bcc, is never held,
or has a threshold of its own (:mod:`bccguard.core.recipient_rules`). A list: a
name and its members, standing for an address-book list (Thunderbird finds its
own lists by name). The tab only collects values; each edit is checked at once
(the message says what is wrong), and Save judges them all with the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bccguard.core.rule_settings import (
    addresses_from_text,
    domains_from_text,
    list_from_mapping,
    rule_from_mapping,
)
from bccguard.core.settings import Settings, SettingsError, settings_to_mapping
from bccguard.ui.i18n import tr
from bccguard.ui.settings_form import (
    ERROR_STYLE,
    WARNING_STYLE,
    choice_box,
    number_box,
)

_TEXT_ROWS = 3


def _addresses(text: str) -> list[str]:
    """The entries of pasted addresses; as typed when they do not read, so that
    the check names the one that is wrong."""
    try:
        return addresses_from_text(text)
    except SettingsError:
        return [t for t in re.split(r"[\n,;]+", text) if t.strip()]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _text_box(placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)
    height = box.fontMetrics().lineSpacing() * (_TEXT_ROWS + 1)
    box.setFixedHeight(height)
    return box


def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


class _Items(QWidget):
    """A list of named tables with Add / Remove, and a form for the selected one."""

    def __init__(self, title: str, rows: list[dict[str, Any]], new_name: str) -> None:
        super().__init__()
        self.rows = rows
        self._new_name = new_name
        self._loading = False
        self.on_change: Callable[[], None] = lambda: None  # after any edit
        self.list = QListWidget()
        self.list.setMaximumWidth(220)
        self.list.addItems([str(r["name"]) for r in rows])
        self.add_button = QPushButton(tr("Add"))
        self.remove_button = QPushButton(tr("Remove"))
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addLayout(buttons)
        self.form_box = QGroupBox(title)
        self.form = QFormLayout(self.form_box)
        self.form.setFormAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        )
        self.error = _error_label()
        top = QHBoxLayout(self)
        top.setContentsMargins(0, 0, 0, 0)
        top.addLayout(left)
        top.addWidget(self.form_box, 1)
        self.list.currentRowChanged.connect(self._show)

    def finish(self) -> None:
        """Called by subclasses once their fields are in the form."""
        self.form.addRow(self.error)
        self.list.setCurrentRow(0 if self.rows else -1)
        self._show(self.list.currentRow())

    def add(self) -> None:
        """Add a new entry and select it for editing."""
        self.rows.append(self.blank(self._new_name))
        self.list.addItem(self._new_name)
        self.list.setCurrentRow(len(self.rows) - 1)
        self.on_change()

    def remove(self) -> None:
        """Remove the selected entry."""
        index = self.list.currentRow()
        if index < 0:
            return
        self.rows.pop(index)
        self.list.takeItem(index)
        self._show(self.list.currentRow())
        self.on_change()

    def _show(self, index: int) -> None:
        valid = 0 <= index < len(self.rows)
        self.form_box.setEnabled(valid)
        self._loading = True
        self.load(self.rows[index] if valid else self.blank(""))
        self._loading = False
        self._check()

    def edited(self) -> None:
        """Keep what the form shows in the selected entry, and check it."""
        index = self.list.currentRow()
        if self._loading or not 0 <= index < len(self.rows):
            return
        self.rows[index] = self.read()
        item = self.list.item(index)
        if item is not None:
            item.setText(str(self.rows[index]["name"]))
        self._check()
        self.on_change()

    def recheck(self) -> None:
        """Check the selected entry again (something it refers to changed)."""
        self._check()

    def _check(self) -> None:
        index = self.list.currentRow()
        problem = self.problem(self.rows[index]) if 0 <= index < len(self.rows) else ""
        self.error.setText(problem)
        self.error.setVisible(bool(problem))

    def problem(self, row: dict[str, Any]) -> str:
        """What is wrong with one entry, in the user's language ("" when nothing)."""
        try:
            self.validate(row)
        except SettingsError as error:
            return tr(error.problem, **error.values)
        return ""

    # -- for subclasses ---------------------------------------------------------

    def blank(self, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def load(self, row: dict[str, Any]) -> None:
        raise NotImplementedError

    def read(self) -> dict[str, Any]:
        raise NotImplementedError

    def validate(self, row: dict[str, Any]) -> None:
        raise NotImplementedError


class _RuleItems(_Items):
    """The rules: who each covers and what it does."""

    def __init__(
        self, rows: list[dict[str, Any]], known_lists: Callable[[], list[str]]
    ) -> None:
        super().__init__(tr("Rule"), rows, tr("New rule"))
        self._known_lists = known_lists
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(WARNING_STYLE)
        self.note.hide()
        self.name = QLineEdit()
        self.effect = choice_box(
            {
                "bcc": tr("Always send Bcc (convert without asking)"),
                "never-hold": tr("Never hold (a team that knows each other)"),
                "threshold": tr("Its own threshold"),
            },
            "bcc",
        )
        self.threshold = number_box(0, 100_000, 10)
        self.lists = QLineEdit()
        self.lists.setPlaceholderText(tr("e.g. Parents 3B, Staff"))
        self.addresses = _text_box(tr("One per line, or separated by commas"))
        self.domains = _text_box(tr("e.g. school.example (subdomains too)"))
        self.form.addRow(tr("Name"), self.name)
        self.form.addRow(tr("What it does"), self.effect)
        self.form.addRow(tr("Threshold"), self.threshold)
        self.form.addRow(tr("Lists"), self.lists)
        self.form.addRow(tr("Addresses"), self.addresses)
        self.form.addRow(tr("Domains"), self.domains)
        self.form.addRow(self.note)
        for signal in (
            self.name.textEdited,
            self.lists.textEdited,
            self.addresses.textChanged,
            self.domains.textChanged,
            self.effect.currentIndexChanged,
            self.threshold.valueChanged,
        ):
            signal.connect(self.edited)
        self.finish()

    def blank(self, name: str) -> dict[str, Any]:
        return {"name": name, "effect": "bcc", "lists": [], "addresses": []}

    def load(self, row: dict[str, Any]) -> None:
        self.name.setText(str(row.get("name", "")))
        self.effect.setCurrentIndex(max(self.effect.findData(row.get("effect")), 0))
        self.threshold.setValue(int(row.get("threshold") or 10))
        self.lists.setText(", ".join(row.get("lists", [])))
        self.addresses.setPlainText("\n".join(row.get("addresses", [])))
        self.domains.setPlainText("\n".join(row.get("domains", [])))
        self._enable_threshold()

    def read(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "name": self.name.text().strip(),
            "effect": self.effect.currentData(),
            "lists": _names(self.lists.text()),
            "addresses": _addresses(self.addresses.toPlainText()),
            "domains": domains_from_text(self.domains.toPlainText()),
        }
        if row["effect"] == "threshold":
            row["threshold"] = self.threshold.value()
        self._enable_threshold()
        return row

    def _enable_threshold(self) -> None:
        wanted = self.effect.currentData() == "threshold"
        self.threshold.setEnabled(wanted)
        self.form.setRowVisible(self.threshold, wanted)

    def validate(self, row: dict[str, Any]) -> None:
        rule_from_mapping("rule", row)

    def problem(self, row: dict[str, Any]) -> str:
        """As for every entry, and a note on lists only Thunderbird can know."""
        known = {n.lower() for n in self._known_lists()}
        elsewhere = [n for n in row.get("lists", []) if n.lower() not in known]
        self.note.setText(
            tr(
                "Not in the lists below: {names}. Thunderbird matches its "
                "address-book lists by name; for other mail programs add the list "
                "and its members below.",
                names=", ".join(elsewhere),
            )
        )
        self.note.setVisible(bool(elsewhere))
        return super().problem(row)


class _ListItems(_Items):
    """The lists rules can name, with their members."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__(tr("List"), rows, tr("New list"))
        self.name = QLineEdit()
        self.members = _text_box(tr("One per line, or separated by commas"))
        self.form.addRow(tr("Name"), self.name)
        self.form.addRow(tr("Members"), self.members)
        self.name.textEdited.connect(self.edited)
        self.members.textChanged.connect(self.edited)
        self.finish()

    def blank(self, name: str) -> dict[str, Any]:
        return {"name": name, "members": []}

    def load(self, row: dict[str, Any]) -> None:
        self.name.setText(str(row.get("name", "")))
        self.members.setPlainText("\n".join(row.get("members", [])))

    def read(self) -> dict[str, Any]:
        return {
            "name": self.name.text().strip(),
            "members": _addresses(self.members.toPlainText()),
        }

    def validate(self, row: dict[str, Any]) -> None:
        list_from_mapping("list", row)


class RulesTab(QWidget):
    """Recipient rules and the lists they name; ``mapping()`` gives both tables."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        data = settings_to_mapping(settings)
        self.lists = _ListItems(data["lists"])
        self.rules = _RuleItems(
            data["rules"], lambda: [str(r["name"]) for r in self.lists.rows]
        )
        self.lists.on_change = self.rules.recheck
        rules_box = QGroupBox(tr("Recipient rules"))
        box = QVBoxLayout(rules_box)
        intro = QLabel(
            tr(
                "Mail to a list, some addresses or a domain can always go Bcc, "
                "never be held (a team that knows each other), or have a threshold "
                "of its own. A rule that would hold less applies only when everyone "
                "who would be exposed is covered by it: an outsider is always "
                "counted. When several rules apply, the stricter wins."
            )
        )
        intro.setWordWrap(True)
        box.addWidget(intro)
        box.addWidget(self.rules, 1)
        lists_box = QGroupBox(tr("Lists"))
        inner = QVBoxLayout(lists_box)
        hint = QLabel(
            tr(
                "A list stands for an address-book list: rules name it. Thunderbird "
                "also finds its own address-book lists by name; other mail programs "
                "send the members' addresses, so list them here."
            )
        )
        hint.setWordWrap(True)
        inner.addWidget(hint)
        self.lists.list.setMaximumHeight(self.lists.form_box.sizeHint().height())
        inner.addWidget(self.lists, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(rules_box, 1)
        layout.addWidget(lists_box)

    def select(self, path: str) -> None:
        """Select the rule or list a settings error names (``rules[2].effect``)."""
        found = re.match(r"(rules|lists)\[(\d+)\]", path)
        if found is not None:
            items = self.rules if found.group(1) == "rules" else self.lists
            items.list.setCurrentRow(int(found.group(2)))

    def mapping(self) -> dict[str, list[dict[str, Any]]]:
        """The ``rules`` and ``lists`` tables as edited."""
        return {"rules": list(self.rules.rows), "lists": list(self.lists.rows)}
