"""The Accounts tab with no account says what to do, and shows no made-up values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QLabel, QSpinBox

from bccguard.ui.i18n import set_language
from bccguard.ui.settings_accounts import AccountsTab
from tests.support import MemorySecrets

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


def empty_tab(qtbot) -> AccountsTab:  # type: ignore[no-untyped-def]
    tab = AccountsTab((), MemorySecrets())
    qtbot.addWidget(tab)
    tab.resize(760, 480)
    tab.show()
    return tab


def shown_numbers(tab: AccountsTab) -> list[int]:
    return [s.value() for s in tab.findChildren(QSpinBox) if s.isVisible()]


def test_no_account_says_what_to_do(qtbot) -> None:  # type: ignore[no-untyped-def]
    tab = empty_tab(qtbot)
    assert tab.empty_state.isVisible()
    words = " ".join(label.text() for label in tab.empty_state.findChildren(QLabel))
    assert "No account yet. Add one by its address — BccGuard finds the servers." in (
        words
    )
    assert tab.empty_add_button.isVisible()
    assert tab.empty_add_button.text() == "Add by address…"
    assert not tab.form_box.isVisible()  # no 587, 993, "Other" in grey
    assert shown_numbers(tab) == []


def test_the_big_button_opens_the_assistant(qtbot) -> None:  # type: ignore[no-untyped-def]
    tab = empty_tab(qtbot)
    with qtbot.waitSignal(tab.assistant_button.clicked):
        tab.empty_add_button.click()


def test_an_account_shows_the_form_and_removing_it_the_words_again(
    qtbot,  # type: ignore[no-untyped-def]
) -> None:
    tab = empty_tab(qtbot)
    tab.add_account()
    assert tab.form_box.isVisible()
    assert not tab.empty_state.isVisible()
    tab.remove_account()
    assert tab.empty_state.isVisible()
    assert not tab.form_box.isVisible()


def test_italian_words(qtbot) -> None:  # type: ignore[no-untyped-def]
    set_language("it")
    tab = empty_tab(qtbot)
    words = " ".join(label.text() for label in tab.empty_state.findChildren(QLabel))
    assert words.startswith("Nessun account")
    assert tab.empty_add_button.text() == "Aggiungi dall'indirizzo…"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "Passwords are kept in memory (this run only)."),
        ("it", "Archivio delle password: memoria (solo per questa esecuzione)."),
    ],
)
def test_where_passwords_are_kept_in_words(qtbot, lang: str, words: str) -> None:  # type: ignore[no-untyped-def]
    set_language(lang)
    tab = empty_tab(qtbot)
    assert words in [label.text() for label in tab.findChildren(QLabel)]
