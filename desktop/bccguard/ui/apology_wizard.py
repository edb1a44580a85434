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

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QMessageBox,
    QWidget,
    QWizard,
)

from bccguard.core.apology import (
    LANGUAGES,
    ApologyError,
    Audience,
    OutgoingApology,
    Sender,
    apology_values,
    available_templates,
    build_group,
    build_individual,
    default_templates_dir,
    guess_name,
)
from bccguard.core.incidents import Incident, IncidentLog, IncidentLogError
from bccguard.ui.apology_pages import (
    AudiencePage,
    EditPage,
    FinishPage,
    LanguagePage,
    SituationPage,
)
from bccguard.ui.i18n import set_language, tr
from bccguard.ui.wizards import name_buttons

Send = Callable[[str, list[str], bytes], str]  # mail_from, recipients, data -> reply
SaveDraft = Callable[[bytes], str]  # the draft message -> what the server said


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
        self.kept = False  # sent, saved to Drafts or exported: nothing to lose
        self._sending = False
        self.unsent_question: QMessageBox | None = None  # while it asks
        self.unsent_buttons: dict[str, QAbstractButton] = {}
        self._may_close = False
        self.setWindowTitle(tr("BccGuard — apologise"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.resize(820, 600)
        name_buttons(self)
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
        self._sending = True

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
        self._sending = False
        ok = [o for o in outcomes if o[1].startswith("2")]
        self.kept = self.kept or bool(ok)
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
        self.kept = True
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
        self.kept = True
        self._record("apology-exported", f"{len(files)} .eml files")
        self.finish_page.status.setText(
            tr(
                "Files saved in {where}: {n}.",
                n=len(files),
                where=str(files[0].parent),
            )
        )
        return files

    # -- leaving ------------------------------------------------------------------

    def done(self, result: int) -> None:
        """Finish, Cancel, Esc or the close button: never lose a written apology.

        The question does not block (a window-modal box), so a closing wizard is
        never stuck in a nested event loop.
        """
        if self._may_close or not self._unsent():
            super().done(result)
        elif self.unsent_question is None:
            self._ask_unsent(result)

    def _unsent(self) -> bool:
        """An apology was written and neither sent, saved nor exported."""
        written = self.pageIds()[3] in self.visitedIds()  # the edit page
        text = self.edit_page.editor.toPlainText().strip()
        return written and bool(text) and not self.kept and not self._sending

    def _ask_unsent(self, result: int) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(tr("Apology not sent"))
        box.setText(tr("The apology has not been sent. Keep it before closing?"))
        box.setInformativeText(tr("Discarded, the text you wrote is lost."))
        role = QMessageBox.ButtonRole
        drafts = box.addButton(tr("Save to Drafts"), role.AcceptRole)
        drafts.setEnabled(self.save_draft is not None)
        if self.save_draft is None:
            drafts.setToolTip(tr("No IMAP account is set up for Drafts."))
        export = box.addButton(tr("Export .eml…"), role.AcceptRole)
        discard = box.addButton(tr("Discard"), role.DestructiveRole)
        back = box.addButton(tr("Back"), role.RejectRole)
        box.setDefaultButton(back)
        box.setEscapeButton(back)
        self.unsent_buttons = {
            "drafts": drafts,
            "export": export,
            "discard": discard,
            "back": back,
        }
        self.unsent_question = box
        box.buttonClicked.connect(lambda button: self._unsent_answer(button, result))
        box.open()

    def _unsent_answer(self, button: object, result: int) -> None:
        self.unsent_question = None
        if button is self.unsent_buttons["drafts"]:
            self.save_to_drafts()
        elif button is self.unsent_buttons["export"]:
            self.finish_page.choose_export()
        if button is self.unsent_buttons["discard"] or self.kept:
            self._may_close = True
            super().done(result)

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
