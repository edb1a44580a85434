"""The apology wizard: situation, audience, language, edit with a tone check, then send.

A thin view: templates, rendering, the tone check and the messages all come from
``bccguard.core.apology`` and ``bccguard.core.tone_check``; sending and saving to
Drafts go through callables handed in, and the incident log records what was done.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QApplication,
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
    QWizard,
    QWizardPage,
)

from bccguard.core.apology import (
    LANGUAGES,
    PLACEHOLDERS,
    SITUATIONS,
    ApologyError,
    Audience,
    OutgoingApology,
    PlaceholderError,
    Sender,
    apology_values,
    available_templates,
    build_group,
    build_individual,
    default_templates_dir,
    format_date,
    guess_name,
    load_template,
    render,
)
from bccguard.core.incidents import Incident, IncidentLog, IncidentLogError
from bccguard.core.tone_check import MAX_WORDS, ToneFinding, check_tone, word_count
from bccguard.ui.i18n import language, set_language, tr

Send = Callable[[str, list[str], bytes], str]  # mail_from, recipients, data -> reply
SaveDraft = Callable[[bytes], str]  # the draft message -> what the server said

SITUATION_TEXT = {
    "addresses-exposed": "Everyone's address was visible to everyone",
    "reply-all": "People replied to all: ask them to stop",
    "complaint": "Answer someone who complained",
}
LANGUAGE_TEXT = {"en": "English", "it": "Italian"}
TONE_TEXT = {
    "no-apology": "There is no apology in it: say plainly that you are sorry.",
    "but-after-apology": "A “but” after an apology takes it back: leave it out.",
    "conditional-apology": "This apologises for their feelings, not for your "
    "mistake: apologise for what you did.",
    "blaming-others": "Do not blame others or the tools: take responsibility.",
    "excuse": "This sounds like an excuse: explain briefly what happened, without it.",
    "too-long": "{words} words: keep an apology short (at most {limit}).",
}
PLACEHOLDER_TEXT = {
    "unknown": "Unknown placeholder {placeholder} on line {line}. Known: {known}.",
    "missing": "No value for {placeholder} on line {line}.",
    "unmatched": "A brace on line {line} does not close: write it twice to keep it.",
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
        return str(error)
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
        self.export_button.clicked.connect(self._choose_export)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button, 2)
        buttons.addWidget(self.draft_button, 1)
        buttons.addWidget(self.export_button, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.recap)
        layout.addSpacing(8)
        layout.addLayout(buttons)
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

    def _choose_export(self) -> None:
        wizard = self._wizard
        if wizard.audience() is Audience.GROUP:
            path, _ = QFileDialog.getSaveFileName(
                self, tr("Export .eml…"), "apology.eml", tr("E-mail messages (*.eml)")
            )
        else:
            path = QFileDialog.getExistingDirectory(self, tr("Export .eml…"))
        if path:
            wizard.export_eml(Path(path))


class _SendResults(QObject):
    """Carries the outcomes of a send from its worker thread to the wizard."""

    ready = Signal(object)  # [(recipients, reply)]


class ApologyWizard(QWizard):
    """Guides the sender from the incident to a sent (or saved) apology."""

    def __init__(
        self,
        incident: Incident,
        log: IncidentLog | None,
        *,
        send: Send | None = None,
        save_draft: SaveDraft | None = None,
        sender_name: str = "",
        sender_address: str = "",
        language: str = "en",
        templates: Path | None = None,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        """Build the pages; nothing is sent until the user clicks "Send now".

        Args:
            incident: The incident the apology is about.
            log: Where to record what was sent, saved or exported (or None).
            send: Sends one message (mail_from, recipients, data) and returns the
                server's reply text; None disables "Send now".
            save_draft: Saves one message to the IMAP Drafts folder and returns a
                short result; None disables "Save to Drafts".
            sender_name: The name to sign with (default: from the sender address).
            sender_address: The From address (default: the incident's sender).
            language: The apology language to start with.
            templates: The templates folder (default: the shipped one).
            clock: The time source, for the Date header and the record.
        """
        super().__init__(parent)
        self.incident = incident
        self.log = log
        self.send = send
        self.save_draft = save_draft
        self.templates = templates or default_templates_dir()
        self.sender_address = sender_address or incident.sender
        self.sender_name = sender_name or (
            guess_name(self.sender_address) if self.sender_address else ""
        )
        self.default_language = language if language in LANGUAGES else "en"
        self._clock = clock
        self.outcomes: list[tuple[tuple[str, ...], str]] = []
        self.setWindowTitle(tr("BccGuard — apologise"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.resize(820, 600)
        for which, text in (
            (QWizard.WizardButton.BackButton, tr("< Back")),
            (QWizard.WizardButton.NextButton, tr("Next >")),
            (QWizard.WizardButton.FinishButton, tr("Finish")),
            (QWizard.WizardButton.CancelButton, tr("Cancel")),
        ):
            self.setButtonText(which, text)
        self.situation_page = SituationPage(self)
        self.audience_page = AudiencePage(self)
        self.language_page = LanguagePage(self)
        self.edit_page = EditPage(self)
        self.finish_page = FinishPage(self)
        for page in (
            self.situation_page,
            self.audience_page,
            self.language_page,
            self.edit_page,
            self.finish_page,
        ):
            self.addPage(page)
        # Results cross from the sending thread through a plain QObject with an
        # ``object`` signal: no conversion to Qt containers off the GUI thread.
        self._results = _SendResults(self)
        self._results.ready.connect(self._on_sent)

    # -- the choices made so far --------------------------------------------------

    def templates_for(self, language: str) -> list[tuple[str, Audience]]:
        """The (situation, audience) pairs with a template in ``language``."""
        return available_templates(self.templates, language)

    def situation(self) -> str:
        """The situation chosen on the first page."""
        return self.situation_page.situation()

    def audience(self) -> Audience:
        """Group or individual."""
        return self.audience_page.audience()

    def chosen(self) -> list[str]:
        """The people chosen for individual apologies."""
        return self.audience_page.chosen()

    def language(self) -> str:
        """The apology language."""
        return self.language_page.language()

    def apology_sender(self) -> Sender:
        """The From address and signature."""
        return Sender(
            self.language_page.address.text().strip(),
            self.language_page.name.text().strip(),
        )

    def preview_person(self) -> str:
        """Whom the preview is for: the first chosen person (individual only)."""
        chosen = self.chosen() if self.audience() is Audience.INDIVIDUAL else []
        return chosen[0] if chosen else ""

    def values_for(self, person: str) -> dict[str, str]:
        """The placeholder values for one person (or the group when empty)."""
        return apology_values(
            self.incident,
            sender_name=self.apology_sender().name,
            language=self.language(),
            recipient_name=guess_name(person) if person else "",
        )

    def messages(self) -> list[OutgoingApology]:
        """The messages the current choices produce (core does the building)."""
        text = self.edit_page.editor.toPlainText()
        now = self._clock()
        if self.audience() is Audience.GROUP:
            return [
                build_group(
                    text, self.incident, self.apology_sender(), self.language(), now
                )
            ]
        return build_individual(
            text,
            self.incident,
            self.apology_sender(),
            self.language(),
            now,
            self.chosen(),
        )

    # -- actions ------------------------------------------------------------------

    def _prepared(self) -> list[OutgoingApology] | None:
        try:
            return self.messages()
        except ApologyError as error:
            self.finish_page.status.setText(str(error))
            return None

    def send_now(self) -> None:
        """Send every message in a worker thread; the result arrives as ``sent``."""
        send = self.send
        messages = self._prepared()
        if send is None or messages is None:
            return
        self.finish_page.send_button.setEnabled(False)
        self.finish_page.status.setText(tr("Sending…"))

        def work() -> None:
            outcomes = []
            for message in messages:
                try:
                    reply = send(
                        message.mail_from, list(message.recipients), message.data
                    )
                except Exception as error:
                    reply = f"451 {error}"
                outcomes.append((message.recipients, reply))
            self._results.ready.emit(outcomes)

        threading.Thread(target=work, name="apology-send", daemon=True).start()

    def _on_sent(self, outcomes: list[tuple[tuple[str, ...], str]]) -> None:
        self.outcomes = outcomes
        ok = [o for o in outcomes if o[1].startswith("2")]
        failed = [o for o in outcomes if not o[1].startswith("2")]
        people = sum(len(r) for r, _ in ok)
        self._record(
            "apology-sent" if ok else "apology-failed",
            f"{self.audience().value} {self.situation()} ({self.language()}): "
            f"{len(ok)} of {len(outcomes)} messages, {people} people; "
            + "; ".join(reply for _, reply in outcomes[:3]),
        )
        if failed:
            self.finish_page.send_button.setEnabled(True)
            self.finish_page.status.setText(
                tr(
                    "{n} of {total} messages were not sent: {reply}",
                    n=len(failed),
                    total=len(outcomes),
                    reply=failed[0][1],
                )
            )
        else:
            self.finish_page.status.setText(
                tr("Sent to {n} people. The incident record notes it.", n=people)
            )

    def save_to_drafts(self) -> None:
        """Save each message (in draft form, with Bcc) to the Drafts folder."""
        messages = self._prepared()
        if self.save_draft is None or messages is None:
            return
        try:
            replies = [self.save_draft(m.draft) for m in messages]
        except Exception as error:
            self.finish_page.status.setText(tr("Not saved: {error}", error=str(error)))
            return
        self._record(
            "apology-saved-to-drafts", f"{len(messages)} messages; {replies[0]}"
        )
        self.finish_page.status.setText(
            tr("Messages saved to Drafts: {n}.", n=len(messages))
        )

    def export_eml(self, target: Path) -> list[Path]:
        """Write the draft form (with Bcc) as .eml: a file (group) or a folder."""
        messages = self._prepared()
        if messages is None:
            return []
        if self.audience() is Audience.GROUP and not target.is_dir():
            files = [target]
        else:
            target.mkdir(parents=True, exist_ok=True)
            files = [
                target
                / f"apology-{re.sub(r'[^A-Za-z0-9@._-]', '_', m.recipients[0])}.eml"
                for m in messages
            ]
        try:
            for path, message in zip(files, messages, strict=True):
                path.write_bytes(message.draft)
        except OSError as error:
            self.finish_page.status.setText(
                tr("Not saved: {error}", error=error.strerror or str(error))
            )
            return []
        self._record("apology-exported", f"{len(files)} .eml files")
        self.finish_page.status.setText(
            tr(
                "Files saved in {where}: {n}.",
                n=len(files),
                where=str(files[0].parent),
            )
        )
        return files

    def _record(self, action: str, detail: str) -> None:
        if self.log is None or not self.incident.id:
            return
        try:
            self.incident = self.log.add_action(
                self.incident.id, action, self._clock(), detail
            )
        except IncidentLogError as error:
            self.finish_page.status.setText(
                tr(
                    "The incident record could not be updated: {error}",
                    error=str(error),
                )
            )


def run_wizard(
    incident: Incident,
    log: IncidentLog | None,
    *,
    send: Send | None = None,
    save_draft: SaveDraft | None = None,
    language: str = "auto",
) -> int:
    """Show the wizard in its own Qt application (``bccguard apologize``)."""
    app = QApplication.instance() or QApplication(["bccguard"])
    used = set_language(language)
    wizard = ApologyWizard(
        incident, log, send=send, save_draft=save_draft, language=used
    )
    wizard.show()
    app.exec()
    return 0
