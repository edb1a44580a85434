"""The check window says which file it shows, and a file replaces pasted text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.core.policy import Policy
from bccguard.ui.check_window import CheckWindow
from bccguard.ui.i18n import set_language

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def test_opening_a_file_replaces_the_pasted_text_and_names_the_file(
    qtbot, tmp_path: Path
) -> None:
    eml = tmp_path / "season-greetings.eml"
    eml.write_bytes(
        b"From: me@x.example\r\nTo: a@x1.example, b@x2.example\r\nSubject: s\r\n\r\n"
    )
    window = CheckWindow(lambda: Policy.build(threshold=1))
    qtbot.addWidget(window)
    window.paste.setPlainText("p@q.example, r@s.example, t@u.example, v@w.example")
    qtbot.waitUntil(lambda: window.verdict is not None)
    assert window.counts["visible"].text() == "4"

    window.load_file(eml)
    assert window.paste.toPlainText() == ""
    assert "season-greetings.eml" in window.source_label.text()
    assert window.source_label.toolTip() == str(eml)
    assert "season-greetings.eml" in window.windowTitle()
    qtbot.wait(400)  # the paste's check, had it been started, would have run
    assert window.counts["visible"].text() == "2"


def test_pasting_again_shows_pasted_text(qtbot, tmp_path: Path) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(b"From: me@x.example\r\nTo: a@x1.example\r\n\r\n")
    window = CheckWindow(lambda: Policy.build(threshold=1))
    qtbot.addWidget(window)
    window.load_file(eml)
    window.paste.setPlainText("p@q.example, r@s.example, t@u.example")
    qtbot.waitUntil(lambda: window.counts["visible"].text() == "3")
    assert window.source_label.text() == "pasted text"
    assert "one.eml" not in window.windowTitle()
