"""The UI speaks through the shared catalogue (bccguard.i18n); states all have words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from bccguard.core.held import HeldState
from bccguard.ui import held_window
from bccguard.ui.i18n import language, ntr, set_language, tr


@pytest.fixture
def italian() -> Iterator[None]:
    set_language("it")
    yield
    set_language("en")


def test_every_held_state_has_words() -> None:
    assert set(held_window._STATE_TEXT) == set(HeldState)


def test_the_ui_reads_the_shared_catalogue(italian: None) -> None:
    assert language() == "it"
    assert tr("Why") == "Perché"
    assert tr("Subject: {subject}", subject="Festa") == "Oggetto: Festa"


def test_plurals_follow_the_catalogue(italian: None) -> None:
    one, many = "Sent to {n} recipient", "Sent to {n} recipients"
    assert ntr(one, many, 1) == "Inviato a 1 destinatario"
    assert ntr(one, many, 0) == "Inviato a 0 destinatari"
    assert ntr(one, many, 25) == "Inviato a 25 destinatari"


def test_english_is_the_source(italian: None) -> None:
    set_language("en")
    assert tr("Why") == "Why"
    assert ntr("Sent to {n} recipient", "Sent to {n} recipients", 1) == (
        "Sent to 1 recipient"
    )


def test_qt_own_words_follow_the_language(qapp: QApplication) -> None:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    cancel = QDialogButtonBox.StandardButton.Cancel
    set_language("it")
    try:
        assert QDialogButtonBox(cancel).button(cancel).text() == "Annulla"
    finally:
        set_language("en")
    assert QDialogButtonBox(cancel).button(cancel).text() == "Cancel"
    assert buttons.button(cancel).text() == "Cancel"
