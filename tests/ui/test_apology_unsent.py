"""Leaving the apology wizard never throws a written, unsent apology away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QWizard

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.core.incidents import Incident, IncidentKind
from bccguard.ui.apology_wizard import ApologyWizard
from bccguard.ui.i18n import set_language

pytestmark = pytest.mark.gui

T0 = 1_734_000_000.0


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def log(tmp_path: Path) -> SqliteIncidentLog:
    return SqliteIncidentLog.in_home(tmp_path)


@pytest.fixture
def incident(log: SqliteIncidentLog) -> Incident:
    return log.record(
        Incident.new(
            IncidentKind.SENT_AS_IS,
            T0,
            exposed=[f"person{i}@d{i % 3}.example" for i in range(12)],
            message_id="<orig@studio.example>",
            subject="Auguri",
            sender="anna.ferri@studio.example",
        )
    )


def written(
    qtbot, incident: Incident, log: SqliteIncidentLog, **kwargs
) -> ApologyWizard:  # type: ignore[no-untyped-def]
    """A wizard on its last page, the apology written and not yet sent."""
    wizard = ApologyWizard(incident, log, clock=lambda: T0 + 7200, **kwargs)
    qtbot.addWidget(wizard)
    wizard.show()
    for _ in range(4):
        wizard.next()
    assert wizard.currentPage() is wizard.finish_page
    return wizard


def finish(wizard: ApologyWizard) -> None:
    wizard.button(QWizard.WizardButton.FinishButton).click()


def test_finish_without_sending_asks_and_back_keeps_writing(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = written(qtbot, incident, log)
    finish(wizard)
    assert wizard.isVisible()
    box = wizard.unsent_question
    assert box is not None
    assert box.defaultButton() is wizard.unsent_buttons["back"]
    assert not wizard.unsent_buttons["drafts"].isEnabled()  # no IMAP account
    wizard.unsent_buttons["back"].click()
    assert wizard.isVisible()
    assert wizard.edit_page.editor.toPlainText().strip()


def test_discard_closes(qtbot, incident: Incident, log: SqliteIncidentLog) -> None:
    wizard = written(qtbot, incident, log)
    wizard.reject()  # Cancel, Esc or the close button
    assert wizard.isVisible()
    wizard.unsent_buttons["discard"].click()
    assert not wizard.isVisible()


def test_save_to_drafts_from_the_question_saves_then_closes(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    saved: list[bytes] = []
    wizard = written(qtbot, incident, log, save_draft=lambda d: saved.append(d) or "OK")
    finish(wizard)
    wizard.unsent_buttons["drafts"].click()
    assert len(saved) == 1
    assert not wizard.isVisible()


def test_export_from_the_question_writes_then_closes(
    qtbot, incident: Incident, log: SqliteIncidentLog, tmp_path: Path, monkeypatch
) -> None:
    target = tmp_path / "apology.eml"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "")
    )
    wizard = written(qtbot, incident, log)
    finish(wizard)
    wizard.unsent_buttons["export"].click()
    assert target.exists()
    assert not wizard.isVisible()


def test_a_sent_apology_finishes_at_once(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = written(qtbot, incident, log, send=lambda f, r, d: "250 OK")
    wizard.finish_page.send_button.click()
    qtbot.waitUntil(lambda: wizard.kept)
    finish(wizard)
    assert wizard.unsent_question is None
    assert not wizard.isVisible()


def test_nothing_written_yet_closes_at_once(
    qtbot, incident: Incident, log: SqliteIncidentLog
) -> None:
    wizard = ApologyWizard(incident, log)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.reject()
    assert not wizard.isVisible()
