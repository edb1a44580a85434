"""The demo with nothing but clicks: sample mass mail, hold, Convert, delivered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.settings_file import load_settings
from bccguard.core.incident_export import ExportFormat
from bccguard.core.message import read_message
from bccguard.core.settings import Account, ProxySettings, Settings
from bccguard.demo import DEMO_SENDER
from bccguard.events import GuardState
from bccguard.ui.application import DesktopApp
from bccguard.ui.incidents_window import IncidentsWindow
from bccguard.ui.outbox_window import OutboxWindow
from bccguard.ui.single_instance import InstanceServer, ask_running_instance
from tests.dovecot_server import PASSWORD, Dovecot, mass_mail
from tests.support import MemorySecrets

pytestmark = pytest.mark.gui


@pytest.fixture
def desktop(qapp: QApplication, tmp_path: Path):
    settings = Settings(proxy=ProxySettings(port=free_port(), decision_timeout=30))
    app = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    app.start()
    yield app
    app.shutdown()


def test_sample_is_held_converted_and_delivered(qtbot, desktop: DesktopApp) -> None:
    assert desktop.status is not None
    assert "Send a sample mass mail (demo)" in desktop.menu.entries()
    desktop.send_sample()
    qtbot.waitUntil(lambda: len(desktop.dialogs) == 1, timeout=10_000)
    dialog = next(iter(desktop.dialogs.values()))
    assert dialog.held.exposed_count == 25
    assert desktop.guard.state is GuardState.ATTENTION
    qtbot.mouseClick(dialog.convert_button, Qt.MouseButton.LeftButton)
    assert desktop.sink is not None
    qtbot.waitUntil(lambda: len(desktop.sink.messages()) == 1, timeout=10_000)
    delivered = desktop.sink.messages()[0]
    message = read_message(delivered.read_bytes())
    assert [a.addr for a in message.visible] == ["you@bccguard-demo.example"]
    assert message.hidden == ()
    envelope = json.loads(delivered.with_suffix(".json").read_text())
    assert len(envelope["rcpt_to"]) == 25
    qtbot.waitUntil(lambda: desktop.guard.state is GuardState.GUARDING, timeout=10_000)
    desktop.open_outbox()
    outbox = desktop.windows["outbox"]
    assert isinstance(outbox, OutboxWindow)
    reading = outbox.view.toPlainText()
    assert "(envelope; 25 people)" in reading
    assert "To: You <you@bccguard-demo.example>" in reading
    assert "Each recipient could see: nobody else" in reading


def test_menu_pause_and_resume(qtbot, desktop: DesktopApp) -> None:
    desktop.guard.pause(900)
    qtbot.waitUntil(lambda: desktop.menu.state.state is GuardState.PAUSED)
    desktop.menu.rebuild()
    assert "Resume guarding" in desktop.menu.entries()
    assert desktop.status is not None
    assert "Paused" in desktop.status.title.text()
    desktop.guard.pause(0)
    qtbot.waitUntil(lambda: desktop.menu.state.state is GuardState.GUARDING)


def test_send_as_is_becomes_an_incident_with_an_apology(
    qtbot, desktop: DesktopApp, tmp_path: Path
) -> None:
    desktop.send_sample()
    qtbot.waitUntil(lambda: len(desktop.dialogs) == 1, timeout=10_000)
    dialog = next(iter(desktop.dialogs.values()))
    qtbot.mouseClick(dialog.as_is_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.confirm.yes_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(i.kind.value == "sent-as-is" for i in desktop.incidents.list()),
        timeout=10_000,
    )
    assert "Incidents" in desktop.menu.entries()
    desktop.open_incidents()
    window = desktop.windows["incidents"]
    assert isinstance(window, IncidentsWindow)
    assert window.table.rowCount() == 1
    assert window.table.item(0, 3).text() == "25"
    window.table.selectRow(0)
    assert window.apology_button.isEnabled()
    window.notifiable_button.click()
    assert "left" in window.table.item(0, 4).text()
    exported = tmp_path / "record.json"
    window.export_to(exported, ExportFormat.JSON)
    record = json.loads(exported.read_text())["incidents"][0]
    assert record["people_affected"] == 25
    assert record["kind"] == "sent-as-is"
    assert "notification_deadline" in record
    wizard = desktop.open_apology(window.items[0])
    assert wizard.isVisible()


def test_tray_app_reports_a_mass_mail_found_in_sent(
    qtbot, qapp: QApplication, tmp_path: Path, dovecot: Dovecot
) -> None:
    account = dovecot.account()
    secrets = MemorySecrets()
    secrets.set("account:home", PASSWORD)
    settings = Settings(proxy=ProxySettings(port=free_port()), accounts=(account,))
    app = DesktopApp(qapp, tmp_path, settings, secrets, use_tray=False)
    app.start()
    try:
        dovecot.append("Sent", mass_mail(40))
        qtbot.waitUntil(lambda: len(app.incidents.list()) == 1, timeout=15_000)
        qtbot.waitUntil(lambda: bool(app.notifications), timeout=5_000)
        title, text = app.notifications[-1]
        assert "everyone visible" in title
        assert "40 people" in text
        assert app.status is not None and "Party" in app.status.detail.text()
    finally:
        app.shutdown()


def test_always_convert_for_an_identity(
    qtbot, qapp: QApplication, tmp_path: Path
) -> None:
    identity = Account("demo", DEMO_SENDER, "smtp.bccguard-demo.example")
    settings = Settings(
        proxy=ProxySettings(port=free_port(), decision_timeout=30), accounts=(identity,)
    )
    app = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    app.start()
    try:
        app.send_sample()
        qtbot.waitUntil(lambda: len(app.dialogs) == 1, timeout=10_000)
        dialog = next(iter(app.dialogs.values()))
        assert not dialog.always.isHidden()
        dialog.always.setChecked(True)
        qtbot.mouseClick(dialog.convert_button, Qt.MouseButton.LeftButton)
        assert app.sink is not None
        qtbot.waitUntil(lambda: len(app.sink.messages()) == 1, timeout=10_000)
        saved = load_settings(tmp_path / "config.toml")
        assert saved.accounts[0].action == "convert"
        # The next mass mail from the same identity leaves converted, unasked.
        app.send_sample()
        qtbot.waitUntil(lambda: len(app.sink.messages()) == 2, timeout=10_000)
        assert app.dialogs == {}
        second = read_message(app.sink.messages()[1].read_bytes())
        assert [a.addr for a in second.visible] == [DEMO_SENDER]
    finally:
        app.shutdown()


def test_a_second_start_brings_the_first_forward(qtbot, tmp_path: Path) -> None:
    shown: list[bool] = []
    server = InstanceServer(tmp_path, lambda: shown.append(True))
    try:
        assert ask_running_instance(tmp_path)
        qtbot.waitUntil(lambda: shown == [True], timeout=5_000)
        assert not ask_running_instance(tmp_path / "another-home")
    finally:
        server.deleteLater()


def test_group_apology_in_italian_and_two_individual_ones(
    qtbot, desktop: DesktopApp
) -> None:
    """From an incident: a group apology in Italian and two personal ones, through the
    guard's relay; nobody's address is shown again and the record says it all."""
    desktop.send_sample()
    qtbot.waitUntil(lambda: len(desktop.dialogs) == 1, timeout=10_000)
    dialog = next(iter(desktop.dialogs.values()))
    dialog.as_is_button.click()
    dialog.confirm.yes_button.click()
    assert desktop.sink is not None
    qtbot.waitUntil(lambda: len(desktop.sink.messages()) == 1, timeout=10_000)
    qtbot.waitUntil(
        lambda: desktop.incidents.list()[0].kind.value == "sent-as-is", timeout=10_000
    )
    incident = desktop.incidents.list()[0]
    before = 1

    group = desktop.open_apology(incident)
    group.next()  # situation: addresses exposed
    group.next()  # audience: everyone, one message in Bcc
    for button in group.language_page.group.buttons():
        button.setChecked(button.property("language") == "it")
    group.language_page.name.setText("Tu")
    group.next()
    assert group.edit_page.editor.toPlainText().startswith("Oggetto: Le mie scuse")
    group.next()
    group.send_now()
    qtbot.waitUntil(lambda: bool(group.outcomes), timeout=10_000)

    personal = desktop.open_apology(incident)
    personal.next()
    personal.audience_page.individual_button.click()
    people = personal.audience_page.people
    for row in range(2):
        people.item(row).setCheckState(Qt.CheckState.Checked)
    personal.next()
    personal.language_page.name.setText("You")
    personal.next()
    personal.next()
    personal.send_now()
    qtbot.waitUntil(lambda: bool(personal.outcomes), timeout=10_000)

    assert [
        r for _, r in group.outcomes + personal.outcomes if not r.startswith("2")
    ] == []
    qtbot.waitUntil(lambda: len(desktop.sink.messages()) == before + 3, timeout=10_000)
    arrived = desktop.sink.messages()[before:]
    envelopes = [json.loads(p.with_suffix(".json").read_text()) for p in arrived]
    assert [len(e["rcpt_to"]) for e in envelopes] == [25, 1, 1]
    group_message = read_message(arrived[0].read_bytes())
    assert [a.addr for a in group_message.visible] == [DEMO_SENDER]
    assert "scuse" in group_message.subject.lower()
    for path, envelope in zip(arrived[1:], envelopes[1:], strict=True):
        shown = [a.addr for a in read_message(path.read_bytes()).visible]
        assert shown == envelope["rcpt_to"]  # each sees only their own address
    actions = [a.action for a in desktop.incidents.get(incident.id).actions]  # type: ignore[union-attr]
    assert actions.count("apology-sent") == 2
