"""Empty and error states say something: where an export went, why Save to Drafts is
greyed, and a click on "Sent as is" opens its incident."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.core.incident_export import ExportFormat
from bccguard.core.incidents import Incident, IncidentKind
from bccguard.core.settings import ProxySettings, Settings
from bccguard.ui.apology_wizard import ApologyWizard
from bccguard.ui.application import DesktopApp
from bccguard.ui.i18n import set_language
from bccguard.ui.incidents_window import IncidentsWindow
from tests.support import MemorySecrets

pytestmark = pytest.mark.gui

T0 = 1_734_000_000.0


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def log(tmp_path: Path) -> SqliteIncidentLog:
    log = SqliteIncidentLog.in_home(tmp_path / "bccguard-home")
    log.record(
        Incident.new(
            IncidentKind.SENT_AS_IS,
            T0,
            exposed=[f"p{i}@d{i}.example" for i in range(12)],
            subject="Party",
            sender="me@x.example",
        )
    )
    return log


def export_dialog_folder(qtbot, log, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def save_name(_parent, _title, start, _filters):  # type: ignore[no-untyped-def]
        asked.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    window = IncidentsWindow(log, lambda i: None)
    qtbot.addWidget(window)
    window.export_button.click()
    return Path(asked[0]).parent


def test_export_starts_in_documents(qtbot, log, monkeypatch, user_home: Path) -> None:
    (user_home / "Documents").mkdir()
    assert export_dialog_folder(qtbot, log, monkeypatch) == user_home / "Documents"


def test_export_starts_at_home_without_documents(
    qtbot, log, monkeypatch, user_home: Path
) -> None:
    assert export_dialog_folder(qtbot, log, monkeypatch) == user_home


def test_export_says_where_it_saved(qtbot, log, tmp_path: Path) -> None:
    window = IncidentsWindow(log, lambda i: None)
    qtbot.addWidget(window)
    assert window.status.isHidden()
    target = tmp_path / "record.md"
    window.export_to(target, ExportFormat.MD)
    assert target.exists()
    assert str(target) in window.status.text()
    assert not window.status.isHidden()


def test_export_failure_is_said(qtbot, log, tmp_path: Path) -> None:
    window = IncidentsWindow(log, lambda i: None)
    qtbot.addWidget(window)
    window.export_to(tmp_path / "no-such-folder" / "record.md", ExportFormat.MD)
    assert window.status.text().startswith("Not saved:")


def test_greyed_save_to_drafts_says_why(qtbot, log) -> None:
    wizard = ApologyWizard(log.list()[0], log)
    qtbot.addWidget(wizard)
    page = wizard.finish_page
    assert not page.draft_button.isEnabled()
    assert not page.unavailable.isHidden()
    assert "IMAP" in page.unavailable.text()
    with_drafts = ApologyWizard(
        log.list()[0], log, send=lambda f, r, d: "250", save_draft=lambda d: "OK"
    )
    qtbot.addWidget(with_drafts)
    assert with_drafts.finish_page.unavailable.isHidden()


def test_clicking_sent_as_is_opens_its_incident(
    qtbot, qapp: QApplication, tmp_path: Path
) -> None:
    settings = Settings(proxy=ProxySettings(port=free_port(), decision_timeout=30))
    desktop = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    desktop.start()
    try:
        desktop.send_sample()
        qtbot.waitUntil(lambda: len(desktop.dialogs) == 1, timeout=10_000)
        held_id, dialog = next(iter(desktop.dialogs.items()))
        dialog.as_is_button.click()
        dialog.confirm.yes_button.click()
        qtbot.waitUntil(
            lambda: any(t == "Sent as is" for t, _ in desktop.notifications),
            timeout=10_000,
        )
        desktop._notification_clicked()
        window = desktop.windows["incidents"]
        assert isinstance(window, IncidentsWindow)
        assert window.isVisible()
        chosen = window.selected()
        assert chosen is not None
        assert chosen.held_id == held_id
    finally:
        desktop.shutdown()
