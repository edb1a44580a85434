"""The apology wizard's pages: situation, audience, language, edit, finish.

Each page shows and asks; the wizard (``bccguard.ui.apology_wizard``) holds the
incident and the senders, builds the messages and does what the last page asks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from bccguard.core.apology import (
    LANGUAGES,
    PLACEHOLDERS,
    SITUATIONS,
    ApologyError,
    Audience,
    PlaceholderError,
    format_date,
    load_template,
    render,
)
from bccguard.core.tone_check import MAX_WORDS, ToneFinding, check_tone, word_count
from bccguard.ui.i18n import N_, language, tr, tr_error

if TYPE_CHECKING:
    from bccguard.ui.apology_wizard import ApologyWizard

SITUATION_TEXT = {
    "addresses-exposed": N_("Everyone's address was visible to everyone"),
    "reply-all": N_("People replied to all: ask them to stop"),
    "complaint": N_("Answer someone who complained"),
}
LANGUAGE_TEXT = {"en": N_("English"), "it": N_("Italian")}
TONE_TEXT = {
    "no-apology": N_("There is no apology in it: say plainly that you are sorry."),
    "but-after-apology": N_("A “but” after an apology takes it back: leave it out."),
    "conditional-apology": N_(
        "This apologises for their feelings, not for your "
        "mistake: apologise for what you did."
    ),
    "blaming-others": N_("Do not blame others or the tools: take responsibility."),
    "excuse": N_(
        "This sounds like an excuse: explain briefly what happened, without it."
    ),
    "too-long": N_("{words} words: keep an apology short (at most {limit})."),
}
PLACEHOLDER_TEXT = {
    "unknown": N_("Unknown placeholder {placeholder} on line {line}. Known: {known}."),
    "missing": N_("No value for {placeholder} on line {line}."),
    "unmatched": N_(
        "A brace on line {line} does not close: write it twice to keep it."
    ),
}
_FLAG_COLOUR = QColor("#fce8b2")
_ERROR_COLOUR = QColor("#f6c6c2")
_HINT_STYLE = "color: #5f6368;"
_RULE_ROLE = Qt.ItemDataRole.UserRole + 1


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setWeight(QFont.Weight.Bold)
    label.setFont(font)
    label.setWordWrap(True)
    return label


def _error_text(error: ApologyError) -> str:
    """The rendering error in the UI language."""
    if not isinstance(error, PlaceholderError):
        return tr_error(error)
    return tr(
        PLACEHOLDER_TEXT[error.reason],
        placeholder=f"{{{error.name}}}",
        line=error.line,
        known=", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS)),
    )


def _error_span(text: str, error: ApologyError) -> tuple[int, int, QColor]:
    """The characters of a bad placeholder (or brace), to mark in the editor."""
    start = error.position if isinstance(error, PlaceholderError) else -1
    if not 0 <= start < len(text):
        return 0, 0, _ERROR_COLOUR
    closing = text.find("}", start + 1)
    if text[start] == "{" and closing >= 0 and "\n" not in text[start:closing]:
        return start, closing + 1, _ERROR_COLOUR
    return start, start + 1, _ERROR_COLOUR


class SituationPage(QWizardPage):
    """What happened: the incident in one paragraph, and the situation to answer."""

    def __init__(self, wizard: ApologyWizard) -> None:
        super().__init__()
        incident = wizard.incident
        self.setTitle(tr("What happened?"))
        self.setSubTitle(
            tr("An apology that admits the mistake plainly limits the harm.")
        )
        self.facts = facts = QLabel(
            tr(
                "“{subject}” of {date} showed {n} people's addresses "
                "to each other ({domains}).",
                subject=incident.subject or tr("(no subject)"),
                date=format_date(incident.created_at, language()),
                n=incident.exposed_count,
                domains=", ".join(f"{d} ({n})" for d, n in incident.domains[:4])
                + (" …" if len(incident.domains) > 4 else ""),
            )
        )
        facts.setWordWrap(True)
        facts.setStyleSheet("background: #fef7e0; padding: 8px; border-radius: 4px;")
        self.group = QButtonGroup(self)
        layout = QVBoxLayout(self)
        layout.addWidget(facts)
        layout.addSpacing(8)
        for situation in dict.fromkeys(s for s, _ in wizard.templates_for("en")):
            button = QRadioButton(tr(SITUATION_TEXT.get(situation, situation)))
            button.setProperty("situation", situation)
            self.group.addButton(button)
            layout.addWidget(button)
        self.group.buttons()[0].setChecked(True)
        layout.addStretch(1)

    def situation(self) -> str:
        """The chosen situation id."""
        button = self.group.checkedButton()
        return str(button.property("situation")) if button else SITUATIONS[0]


class AudiencePage(QWizardPage):
    """Who gets it: one message to everyone (in Bcc), or one per chosen person."""

    def __init__(self, wizard: ApologyWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Who should receive it?"))
        self.setSubTitle(
            tr("A group apology never shows anyone's address; it goes in Bcc.")
        )
        self.group_button = QRadioButton(
            tr("Everyone affected: one message, every address hidden in Bcc")
        )
        self.individual_button = QRadioButton(
            tr("Chosen people: one personal message each")
        )
        self.group_button.setChecked(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Search the recipients…"))
        self.search.setClearButtonEnabled(True)
        self.people = QListWidget()
        for address in wizard.incident.exposed:
            item = QListWidgetItem(address)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.people.addItem(item)
        self.hint = QLabel()
        self.hint.setStyleSheet(_HINT_STYLE)
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.group_button)
        layout.addWidget(self.individual_button)
        layout.addWidget(self.search)
        layout.addWidget(self.people, 1)
        layout.addWidget(self.hint)
        self.group_button.toggled.connect(self._update)
        self.people.itemChanged.connect(self._update)
        self.search.textChanged.connect(self._filter)

    def initializePage(self) -> None:
        """Offer only the audiences the chosen situation has a template for."""
        audiences = {
            a
            for s, a in self._wizard.templates_for("en")
            if s == self._wizard.situation()
        }
        self.group_button.setEnabled(Audience.GROUP in audiences)
        self.individual_button.setEnabled(Audience.INDIVIDUAL in audiences)
        if Audience.GROUP not in audiences:
            self.individual_button.setChecked(True)
        elif Audience.INDIVIDUAL not in audiences:
            self.group_button.setChecked(True)
        self._update()

    def audience(self) -> Audience:
        """The chosen audience."""
        if self.group_button.isChecked():
            return Audience.GROUP
        return Audience.INDIVIDUAL

    def chosen(self) -> list[str]:
        """The ticked addresses (individual apologies)."""
        return [
            self.people.item(r).text()
            for r in range(self.people.count())
            if self.people.item(r).checkState() == Qt.CheckState.Checked
        ]

    def isComplete(self) -> bool:
        """Individual apologies need at least one person."""
        return self.audience() is Audience.GROUP or bool(self.chosen())

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.people.count()):
            item = self.people.item(row)
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def _update(self) -> None:
        group = self.audience() is Audience.GROUP
        self.people.setEnabled(not group)
        self.search.setEnabled(not group)
        if group:
            self.hint.setText(
                tr(
                    "{n} people in Bcc; To shows only you.",
                    n=self._wizard.incident.exposed_count,
                )
            )
        else:
            self.hint.setText(tr("{n} chosen.", n=len(self.chosen())))
        self.completeChanged.emit()


class LanguagePage(QWizardPage):
    """The language of the apology, and the name and address it comes from."""

    def __init__(self, wizard: ApologyWizard) -> None:
        super().__init__()
        self.setTitle(tr("Language and signature"))
        self.setSubTitle(tr("Write in the language you used in the original message."))
        self.group = QButtonGroup(self)
        row = QHBoxLayout()
        for code in LANGUAGES:
            button = QRadioButton(tr(LANGUAGE_TEXT.get(code, code)))
            button.setProperty("language", code)
            button.setChecked(code == wizard.default_language)
            self.group.addButton(button)
            row.addWidget(button)
        row.addStretch(1)
        self.name = QLineEdit(wizard.sender_name)
        self.address = QLineEdit(wizard.sender_address)
        self.name.textChanged.connect(self.completeChanged)
        self.address.textChanged.connect(self.completeChanged)
        form = QFormLayout(self)
        form.addRow(tr("Language:"), row)
        form.addRow(tr("Your name:"), self.name)
        form.addRow(tr("Your address:"), self.address)

    def language(self) -> str:
        """The chosen language code."""
        button = self.group.checkedButton()
        return str(button.property("language")) if button else LANGUAGES[0]

    def isComplete(self) -> bool:
        """A name to sign with and an address to send from."""
        return bool(self.name.text().strip()) and "@" in self.address.text()


class EditPage(QWizardPage):
    """The template to edit, a live preview, and what the tone check found."""

    def __init__(self, wizard: ApologyWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self._loaded: tuple[str, str, Audience] | None = None
        self.findings: list[ToneFinding] = []
        self.setTitle(tr("Write the apology"))
        self.setSubTitle(
            tr("Placeholders like {count} are filled in; the preview shows the result.")
        )
        self.editor = QPlainTextEdit()
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setStyleSheet("background: #f8f9fa;")
        self.preview_label = QLabel(tr("Preview"))
        self.problems = QListWidget()
        self.problems.setMaximumHeight(90)
        self.problems.itemClicked.connect(self._show_finding)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addWidget(self.preview_label)
        preview_layout.addWidget(self.preview)
        editor_box = QWidget()
        editor_layout = QVBoxLayout(editor_box)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addWidget(QLabel(tr("Template")))
        editor_layout.addWidget(self.editor)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(editor_box)
        splitter.addWidget(preview_box)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error)
        layout.addWidget(_heading(tr("Tone check")))
        layout.addWidget(self.problems)
        self.editor.textChanged.connect(self.refresh)

    def initializePage(self) -> None:
        """Load the template for the choices made; keep edits if they are unchanged."""
        key = (
            self._wizard.language(),
            self._wizard.situation(),
            self._wizard.audience(),
        )
        if key != self._loaded:
            try:
                text = load_template(self._wizard.templates, *key)
            except ApologyError as error:
                text = ""
                self.error.setText(str(error))
            self._loaded = key
            self.editor.setPlainText(text)
        self.refresh()

    def refresh(self) -> None:
        """Render the preview and run the tone check on the current text."""
        text = self.editor.toPlainText()
        self.findings = check_tone(text)
        self.problems.clear()
        for finding in self.findings:
            message = tr(
                TONE_TEXT.get(finding.rule, finding.message),
                words=word_count(text),
                limit=MAX_WORDS,
            )
            item = QListWidgetItem(message)
            item.setToolTip(finding.rule)
            item.setData(Qt.ItemDataRole.UserRole, finding.start)
            item.setData(_RULE_ROLE, finding.rule)
            self.problems.addItem(item)
        if not self.findings:
            self.problems.addItem(tr("No problems found."))
        person = self._wizard.preview_person()
        self.preview_label.setText(
            tr("Preview for {who}", who=person) if person else tr("Preview")
        )
        spans = [(f.start, f.end, _FLAG_COLOUR) for f in self.findings]
        try:
            rendered = render(text, self._wizard.values_for(person))
        except ApologyError as error:
            self.error.setText(_error_text(error))
            self.preview.setPlainText("")
            spans.append(_error_span(text, error))
        else:
            self.error.setText("")
            self.preview.setPlainText(rendered.text)
        self._highlight(text, spans)
        self.completeChanged.emit()

    def _highlight(self, text: str, spans: list[tuple[int, int, QColor]]) -> None:
        selections = []
        for start, end, colour in spans:
            if start >= end:
                continue
            selection = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setBackground(colour)
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor("#b3261e"))
            selection.format = fmt
            cursor = QTextCursor(self.editor.document())
            cursor.setPosition(start)
            cursor.setPosition(min(end, len(text)), QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selections.append(selection)
        self.editor.setExtraSelections(selections)

    def rules(self) -> list[str]:
        """The rule ids of the findings listed."""
        items = (self.problems.item(r) for r in range(self.problems.count()))
        return [str(i.data(_RULE_ROLE)) for i in items if i.data(_RULE_ROLE)]

    def highlighted(self) -> list[str]:
        """The text of every highlighted span, for tests and accessibility."""
        return [s.cursor.selectedText() for s in self.editor.extraSelections()]

    def _show_finding(self, item: QListWidgetItem) -> None:
        start = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(start, int):
            cursor = self.editor.textCursor()
            cursor.setPosition(start)
            self.editor.setTextCursor(cursor)
            self.editor.setFocus()

    def isComplete(self) -> bool:
        """Only a template that renders can be sent."""
        return not self.error.text() and bool(self.editor.toPlainText().strip())


class FinishPage(QWizardPage):
    """Send now, save to Drafts, or export .eml; the incident records what was done."""

    def __init__(self, wizard: ApologyWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(tr("Send the apology"))
        self.setSubTitle(tr("Send it now, keep it as a draft, or save it as a file."))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.recap = QLabel()
        self.recap.setWordWrap(True)
        self.recap.setStyleSheet(
            "background: #f8f9fa; padding: 8px; border-radius: 4px;"
        )
        self.recap.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.send_button = QPushButton(tr("Send now"))
        self.draft_button = QPushButton(tr("Save to Drafts"))
        self.export_button = QPushButton(tr("Export .eml…"))
        for button in (self.send_button, self.draft_button, self.export_button):
            button.setMinimumHeight(36)
            button.setAutoDefault(False)
        self.send_button.setStyleSheet(
            "QPushButton { background: #1e8e3e; color: white; font-weight: bold;"
            " padding: 0 18px; border-radius: 4px; }"
            "QPushButton:disabled { background: #a8c7b0; }"
        )
        if wizard.send is None:
            self.send_button.setEnabled(False)
            self.send_button.setToolTip(tr("No mail account is connected for sending."))
        if wizard.save_draft is None:
            self.draft_button.setEnabled(False)
            self.draft_button.setToolTip(tr("No IMAP account is set up for Drafts."))
        self.send_button.clicked.connect(wizard.send_now)
        self.draft_button.clicked.connect(wizard.save_to_drafts)
        self.export_button.clicked.connect(self.choose_export)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        # A greyed button's tooltip may never show: say why in the page itself.
        reasons = []
        if wizard.send is None:
            reasons.append(tr("Send now needs a mail account for sending."))
        if wizard.save_draft is None:
            reasons.append(
                tr(
                    "Save to Drafts needs an account with IMAP (Settings → Accounts); "
                    "Export .eml… works without one."
                )
            )
        self.unavailable = QLabel("\n".join(reasons))
        self.unavailable.setWordWrap(True)
        self.unavailable.setStyleSheet("color: #5f6368;")
        self.unavailable.setVisible(bool(reasons))
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button, 2)
        buttons.addWidget(self.draft_button, 1)
        buttons.addWidget(self.export_button, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.recap)
        layout.addSpacing(8)
        layout.addLayout(buttons)
        layout.addWidget(self.unavailable)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def initializePage(self) -> None:
        """Say exactly who will get what."""
        wizard = self._wizard
        if wizard.audience() is Audience.GROUP:
            text = tr(
                "One message to {n} people. Every address is in Bcc: To shows only "
                "you, so nobody sees anyone else.",
                n=wizard.incident.exposed_count,
            )
        else:
            text = tr(
                "{n} personal messages, one to each chosen person.",
                n=len(wizard.chosen()),
            )
        self.summary.setText(text)
        self.status.setText("")
        sender = wizard.apology_sender()
        try:
            subject = render(
                wizard.edit_page.editor.toPlainText(),
                wizard.values_for(wizard.preview_person()),
            ).subject
        except ApologyError:
            subject = ""
        self.recap.setText(
            tr("Subject: {subject}", subject=subject)
            + "\n"
            + tr("From: {sender}", sender=f"{sender.name} <{sender.address}>")
        )

    def choose_export(self) -> None:
        """Ask where to write the .eml file(s), then write them."""
        wizard = self._wizard
        if wizard.audience() is Audience.GROUP:
            path, _ = QFileDialog.getSaveFileName(
                self, tr("Export .eml…"), "apology.eml", tr("E-mail messages (*.eml)")
            )
        else:
            path = QFileDialog.getExistingDirectory(self, tr("Export .eml…"))
        if path:
            wizard.export_eml(Path(path))
