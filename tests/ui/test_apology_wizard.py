"""The apology wizard, driven page by page: choices, tone check, send, drafts, .eml."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses
from pathlib import Path

import pytest
from imapclient import IMAPClient
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from bccguard.adapters.imap_mailbox import save_draft
from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.adapters.smtp_relay import SmtpRelay
from bccguard.core.apology import Audience
from bccguard.core.incidents import Incident, IncidentKind
from bccguard.ui.apology_wizard import ApologyWizard, Send
from bccguard.ui.i18n import set_language
from tests.dovecot_server import PASSWORD, USER, Dovecot
from tests.smtp_sink import SinkServer

pytestmark = pytest.mark.gui

T0 = 1_734_000_000.0
PEOPLE = ["mario.rossi@libero.it", "giulia@gmail.com", "p.verdi@studio.example"] + [
    f"person{i}@d{i % 3}.example" for i in range(9)
]


@pytest.fixture
def log(tmp_path: Path) -> SqliteIncidentLog:
    return SqliteIncidentLog.in_home(tmp_path)


@pytest.fixture
def incident(log: SqliteIncidentLog) -> Incident:
    return log.record(
        Incident.new(
            IncidentKind.SENT_AS_IS,
            T0,
            exposed=PEOPLE,
            message_id="<orig@studio.example>",
            subject="Auguri di Natale",
            sender="anna.ferri@studio.example",
        )
    )


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")  # a test may switch; the next module expects English


def relay_send(upstream: SinkServer) -> Send:
    relay = SmtpRelay(upstream.upstream())

    def send(mail_from: str, recipients: list[str], data: bytes) -> str:
        batch = relay.send(mail_from, recipients, data).batches[0]
        return f"{batch.code} {batch.text}"

    return send


def parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def visible(message: EmailMessage) -> list[str]:
    fields = message.get_all("To", []) + message.get_all("Cc", [])
    return [addr for _, addr in getaddresses(fields)]


def make(qtbot, incident: Incident, log: SqliteIncidentLog, **kwargs) -> ApologyWizard:  # type: ignore[no-untyped-def]
    wizard = ApologyWizard(incident, log, clock=lambda: T0 + 7200, **kwargs)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def choose_situation(wizard: ApologyWizard, situation: str) -> None:
    for button in wizard.situation_page.group.buttons():
        if button.property("situation") == situation:
            button.setChecked(True)


def tick(wizard: ApologyWizard, *addresses: str) -> None:
    people = wizard.audience_page.people
    for row in range(people.count()):
        if people.item(row).text() in addresses:
            people.item(row).setCheckState(Qt.CheckState.Checked)


def go_to_edit(wizard: ApologyWizard) -> None:
    for _ in range(3):
        assert wizard.currentPage().isComplete()
        wizard.next()
    assert wizard.currentPage() is wizard.edit_page


def test_group_apology_is_sent_bcc_and_recorded(
    qtbot, incident: Incident, log: SqliteIncidentLog, upstream: SinkServer
) -> None:
    wizard = make(qtbot, incident, log, send=relay_send(upstream))
    facts = wizard.situation_page.facts.text()
    assert "showed 12 people's addresses" in facts
    assert "d0.example (3)" in facts
    go_to_edit(wizard)
    preview = wizard.edit_page.preview.toPlainText()
    assert preview.startswith("Subject: Apology: your e-mail address was visible")
    assert "all 12 recipients" in preview
    assert preview.rstrip().endswith("Anna Ferri")
    assert wizard.edit_page.highlighted() == []
    wizard.next()
    assert "One message to 12 people" in wizard.finish_page.summary.text()

    qtbot.mouseClick(wizard.finish_page.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(wizard.outcomes), timeout=10_000)

    (received,) = upstream.received
    assert sorted(received.rcpt_tos) == sorted(PEOPLE)
    assert visible(parse(received.data)) == ["anna.ferri@studio.example"]
    assert parse(received.data)["In-Reply-To"] == "<orig@studio.example>"
    assert "Sent to 12 people" in wizard.finish_page.status.text()
    action = log.get(incident.id).actions[-1]  # type: ignore[union-attr]
    assert action.action == "apology-sent"
    assert action.at == T0 + 7200
    assert action.detail.startswith("group addresses-exposed (en): 1 of 1 messages, 12")


def test_individual_apologies_one_per_chosen_person(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    calls: list[tuple[str, list[str], bytes]] = []

    def send(mail_from: str, recipients: list[str], data: bytes) -> str:
        calls.append((mail_from, recipients, data))
        return "250 2.0.0 ok"

    wizard = make(qtbot, incident, log, send=send)
    choose_situation(wizard, "complaint")
    wizard.next()
    page = wizard.audience_page
    assert not page.group_button.isEnabled()  # a complaint is answered personally
    assert page.audience() is Audience.INDIVIDUAL
    assert not page.isComplete()  # nobody chosen yet
    page.search.setText("rossi")
    assert [page.people.item(r).isHidden() for r in range(3)] == [False, True, True]
    tick(wizard, "mario.rossi@libero.it", "giulia@gmail.com")
    assert page.isComplete()
    assert page.hint.text() == "2 chosen."
    wizard.next()
    wizard.next()
    assert wizard.edit_page.preview_label.text() == "Preview for mario.rossi@libero.it"
    assert "Dear Mario Rossi," in wizard.edit_page.preview.toPlainText()
    wizard.next()
    assert "2 personal messages" in wizard.finish_page.summary.text()
    wizard.send_now()
    qtbot.waitUntil(lambda: bool(wizard.outcomes), timeout=10_000)
    assert [c[1] for c in calls] == [["mario.rossi@libero.it"], ["giulia@gmail.com"]]
    assert visible(parse(calls[1][2])) == ["giulia@gmail.com"]
    assert log.get(incident.id).actions[-1].action == "apology-sent"  # type: ignore[union-attr]


def test_reply_all_is_a_group_message_only(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = make(qtbot, incident, log)
    choose_situation(wizard, "reply-all")
    wizard.next()
    assert not wizard.audience_page.individual_button.isEnabled()
    assert not wizard.audience_page.people.isEnabled()
    wizard.next()
    wizard.next()
    assert "Please don't reply to all" in wizard.edit_page.editor.toPlainText()


def test_italian_template_and_preview(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = make(qtbot, incident, log)
    wizard.next()
    wizard.next()
    for button in wizard.language_page.group.buttons():
        if button.property("language") == "it":
            button.setChecked(True)
    wizard.language_page.name.setText("Anna")
    wizard.next()
    assert wizard.edit_page.editor.toPlainText().startswith("Oggetto: Le mie scuse")
    assert "il 12 dicembre 2024" in wizard.edit_page.preview.toPlainText()


def test_the_language_page_needs_a_name_and_an_address(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = make(qtbot, incident, log)
    wizard.next()
    wizard.next()
    page = wizard.language_page
    assert page.name.text() == "Anna Ferri"
    page.name.setText(" ")
    assert not page.isComplete()
    page.name.setText("Anna")
    page.address.setText("not an address")
    assert not page.isComplete()


def test_tone_check_highlights_the_flagged_words(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = make(qtbot, incident, log)
    go_to_edit(wizard)
    page = wizard.edit_page
    page.editor.setPlainText(
        "Subject: Sorry\n\n"
        "I'm sorry, but the system did it. I was busy.\n{sender_name}\n"
    )
    assert page.highlighted() == ["but", "the system", "I was busy"]
    assert page.rules() == ["but-after-apology", "blaming-others", "excuse"]
    assert page.problems.item(0).toolTip() == "but-after-apology"
    assert page.problems.item(0).text().startswith("A “but” after an apology")
    assert page.isComplete()  # a warning, not a block: the sender decides

    page.editor.setPlainText("Subject: Sorry\n\nI apologise.\n{sender_name}\n")
    assert page.highlighted() == []
    assert page.problems.item(0).text() == "No problems found."
    assert page.rules() == []


def test_a_bad_placeholder_blocks_and_is_marked(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = make(qtbot, incident, log)
    go_to_edit(wizard)
    page = wizard.edit_page
    page.editor.setPlainText("Subject: Sorry\n\nDear {frend}, I apologise.\n")
    assert page.error.text().startswith("Unknown placeholder {frend} on line 3.")
    assert page.highlighted() == ["{frend}"]
    assert page.preview.toPlainText() == ""
    assert not page.isComplete()
    assert not wizard.button(wizard.WizardButton.NextButton).isEnabled()


def test_without_send_or_drafts_those_buttons_are_disabled(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = make(qtbot, incident, log)
    assert not wizard.finish_page.send_button.isEnabled()
    assert wizard.finish_page.send_button.toolTip()
    assert not wizard.finish_page.draft_button.isEnabled()
    assert "IMAP" in wizard.finish_page.draft_button.toolTip()


def test_save_to_drafts_saves_the_bcc_form(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    saved: list[bytes] = []

    def save(data: bytes) -> str:
        saved.append(data)
        return "APPEND completed"

    wizard = make(qtbot, incident, log, save_draft=save)
    go_to_edit(wizard)
    wizard.next()
    qtbot.mouseClick(wizard.finish_page.draft_button, Qt.MouseButton.LeftButton)
    (draft,) = saved
    bcc = [a for _, a in getaddresses(parse(draft).get_all("Bcc", []))]
    assert bcc == PEOPLE
    assert log.get(incident.id).actions[-1].action == "apology-saved-to-drafts"  # type: ignore[union-attr]
    assert wizard.finish_page.status.text() == "Messages saved to Drafts: 1."


def test_a_failing_send_is_shown_and_recorded(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    def send(mail_from: str, recipients: list[str], data: bytes) -> str:
        raise OSError("network unreachable")

    wizard = make(qtbot, incident, log, send=send)
    go_to_edit(wizard)
    wizard.next()
    wizard.send_now()
    qtbot.waitUntil(lambda: bool(wizard.outcomes), timeout=10_000)
    assert "network unreachable" in wizard.finish_page.status.text()
    assert wizard.finish_page.send_button.isEnabled()  # may try again
    assert log.get(incident.id).actions[-1].action == "apology-failed"  # type: ignore[union-attr]


def test_export_eml_group_file_and_individual_folder(
    qtbot,
    incident: Incident,
    log: SqliteIncidentLog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wizard = make(qtbot, incident, log)
    go_to_edit(wizard)
    wizard.next()
    target = tmp_path / "apology.eml"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "")
    )
    qtbot.mouseClick(wizard.finish_page.export_button, Qt.MouseButton.LeftButton)
    message = parse(target.read_bytes())
    assert [a for _, a in getaddresses(message.get_all("Bcc", []))] == PEOPLE
    assert visible(message) == ["anna.ferri@studio.example"]

    wizard.back()
    wizard.back()
    wizard.back()
    wizard.audience_page.individual_button.setChecked(True)
    tick(wizard, "giulia@gmail.com", "p.verdi@studio.example")
    folder = tmp_path / "each"
    files = wizard.export_eml(folder)
    assert sorted(p.name for p in files) == [
        "apology-giulia@gmail.com.eml",
        "apology-p.verdi@studio.example.eml",
    ]
    assert visible(parse(files[0].read_bytes())) == ["giulia@gmail.com"]
    actions = [a.action for a in log.get(incident.id).actions]  # type: ignore[union-attr]
    assert actions.count("apology-exported") == 2


def test_edits_survive_going_back_and_forth(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = make(qtbot, incident, log)
    go_to_edit(wizard)
    wizard.edit_page.editor.setPlainText("Subject: Sorry\n\nMy own words, sorry.\n")
    wizard.back()
    wizard.next()
    assert "My own words" in wizard.edit_page.editor.toPlainText()


def test_the_wizard_speaks_italian(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    set_language("it")
    wizard = make(qtbot, incident, log, language="it")
    next_button = wizard.button(wizard.WizardButton.NextButton)
    assert next_button.text() == "Avanti >"
    assert (
        "ha mostrato gli indirizzi di 12 persone" in wizard.situation_page.facts.text()
    )
    go_to_edit(wizard)
    page = wizard.edit_page
    assert page.editor.toPlainText().startswith("Oggetto: Le mie scuse")
    page.editor.setPlainText("Subject: Scuse\n\nMi scuso, ma ero di fretta. {chi}\n")
    assert page.highlighted() == ["ma", "ero di fretta", "{chi}"]
    assert page.error.text().startswith("Segnaposto sconosciuto {chi} alla riga 3.")
    assert page.problems.item(0).text().startswith("Un «ma» dopo le scuse")


def test_group_apology_saved_to_a_real_drafts_folder(
    qtbot, incident: Incident, log: SqliteIncidentLog, dovecot: Dovecot
) -> None:
    endpoint = dovecot.endpoint()
    wizard = make(
        qtbot, incident, log, save_draft=lambda data: save_draft(endpoint, data)
    )
    go_to_edit(wizard)
    wizard.next()
    assert wizard.finish_page.draft_button.isEnabled()
    qtbot.mouseClick(wizard.finish_page.draft_button, Qt.MouseButton.LeftButton)
    assert "Drafts: 1" in wizard.finish_page.status.text()
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(USER, PASSWORD)
        client.select_folder("Drafts", readonly=True)
        (uid,) = client.search(["ALL"])
        fetched = client.fetch([uid], ["RFC822", "FLAGS"])[uid]
    assert b"\\Draft" in fetched[b"FLAGS"]
    draft = parse(fetched[b"RFC822"])
    assert visible(draft) == ["anna.ferri@studio.example"]
    assert sorted(a.strip() for a in str(draft["Bcc"]).split(",")) == sorted(PEOPLE)
    action = log.get(incident.id).actions[-1]  # type: ignore[union-attr]
    assert action.action == "apology-saved-to-drafts"
