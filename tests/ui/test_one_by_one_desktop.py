"""Send one by one in the running tray app: the hold dialog's third way sends one
copy to each recipient through the real proxy and the demo sink, greeting each by
name; a choice made in Thunderbird (a proven decision) opens no dialog at all."""

from __future__ import annotations

import json
import smtplib
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from bccguard.adapters.demo_sink import free_port
from bccguard.core.decision_proof import HEADER, INDIVIDUALLY, make_proof, proof_key
from bccguard.core.held import HeldState
from bccguard.core.message import read_message
from bccguard.core.settings import DeliverySettings, ProxySettings, Settings
from bccguard.demo import DEMO_SENDER, recipients_of, sample_mass_mail
from bccguard.ui import application
from bccguard.ui.application import DesktopApp
from tests.support import MemorySecrets

pytestmark = pytest.mark.gui


@pytest.fixture
def desktop(qapp: QApplication, tmp_path: Path):
    settings = Settings(
        proxy=ProxySettings(port=free_port(), decision_timeout=30),
        delivery=DeliverySettings(one_by_one_pause=0.01),
    )
    app = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    app.start()
    yield app
    app.shutdown()


def _copies(desktop: DesktopApp) -> dict[str, list[bytes]]:
    assert desktop.sink is not None
    found: dict[str, list[bytes]] = {}
    for path in desktop.sink.messages():
        envelope = json.loads(path.with_suffix(".json").read_text())
        assert len(envelope["rcpt_to"]) == 1
        found.setdefault(envelope["rcpt_to"][0], []).append(path.read_bytes())
    return found


def test_the_dialog_s_third_way_sends_a_copy_to_each(qtbot, desktop) -> None:
    desktop.send_sample()
    qtbot.waitUntil(lambda: len(desktop.dialogs) == 1, timeout=10_000)
    dialog = next(iter(desktop.dialogs.values()))
    qtbot.mouseClick(dialog.one_by_one_button, Qt.MouseButton.LeftButton)
    assert "25 copies" in dialog.offer.text.text()
    assert "limit of 300 recipients a day" in dialog.offer.text.text()
    assert not dialog.offer.greet.isChecked()  # the sample has no {first_name}
    qtbot.mouseClick(dialog.offer.send_button, Qt.MouseButton.LeftButton)
    held_id = dialog.held.id
    qtbot.waitUntil(
        lambda: desktop.guard.engine.get(held_id).state is HeldState.SENT,
        timeout=30_000,
    )
    copies = _copies(desktop)
    everyone = recipients_of(sample_mass_mail(25))
    assert sorted(copies) == sorted(everyone)
    ids = set()
    for rcpt, (data,) in copies.items():
        message = read_message(data)
        assert [a.addr for a in message.visible] == [rcpt]
        ids.add(message.message_id)
    assert len(ids) == 25
    assert not desktop.dialogs


def test_a_choice_made_in_thunderbird_opens_no_dialog(
    qtbot, desktop, monkeypatch
) -> None:
    opened: list[str] = []

    class WatchedDialog(application.HoldDialog):  # a real dialog, counted
        def __init__(self, held, *args, **kwargs) -> None:
            opened.append(held.id)
            super().__init__(held, *args, **kwargs)

    monkeypatch.setattr(application, "HoldDialog", WatchedDialog)
    people = [f"tb{i}@d{i % 3}.example" for i in range(6)]
    body = (
        f"From: {DEMO_SENDER}\r\nTo: {DEMO_SENDER}\r\nSubject: one by one\r\n"
        "Message-ID: <tb-one-by-one@bccguard.test>\r\n\r\nHello.\r\n"
    )
    key = proof_key(desktop.guard.local_secret)
    proof = make_proof(key, [DEMO_SENDER], time.time(), [INDIVIDUALLY])
    data = f"{HEADER}: {proof}\r\n{body}".encode()
    with smtplib.SMTP("127.0.0.1", desktop.guard.proxy.port, timeout=30) as client:
        client.login("bccguard", desktop.guard.local_secret)
        client.mail(DEMO_SENDER)
        for rcpt in people:
            client.rcpt(rcpt)
        code, text = client.data(data)
    assert code == 250 and b"one by one" in text, text
    qtbot.waitUntil(lambda: len(_copies(desktop)) == len(people), timeout=30_000)
    qtbot.wait(200)  # the GUI thread has seen the hold by now
    assert opened == [] and not desktop.dialogs
    assert sorted(_copies(desktop)) == sorted(people)
