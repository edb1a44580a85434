"""The Rules tab: add, edit and remove rules and lists; bad ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.rule_settings import ListSettings, RuleSettings
from bccguard.core.settings import Settings
from bccguard.ui.settings_window import SettingsWindow
from tests.ui.settings_under_test import open_settings

pytestmark = pytest.mark.gui

PARENTS = ListSettings("Parents 3B", ("anna@home.example", "bruno@other.example"))
STAFF = RuleSettings("Staff", "never-hold", domains=("school.example",))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    save_settings(path, Settings(lists=(PARENTS,), rules=(STAFF,)))
    return path


@pytest.fixture
def saved() -> list[Settings]:
    return []


@pytest.fixture
def window(qtbot, config: Path, saved: list[Settings]) -> SettingsWindow:
    win = open_settings(qtbot, config, saved)
    win.tabs.setCurrentWidget(win.rules)
    return win


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_tab_shows_the_saved_rules_and_lists(window: SettingsWindow) -> None:
    rules = window.rules.rules
    assert rules.list.count() == 1
    assert rules.name.text() == "Staff"
    assert rules.effect.currentData() == "never-hold"
    assert rules.domains.toPlainText() == "school.example"
    assert not rules.threshold.isEnabled()
    lists = window.rules.lists
    assert lists.name.text() == "Parents 3B"
    assert lists.members.toPlainText() == "anna@home.example\nbruno@other.example"


def test_a_new_rule_and_list_are_saved_and_read_back(
    qtbot, window: SettingsWindow, config: Path, saved: list[Settings]
) -> None:
    rules = window.rules.rules
    click(qtbot, rules.add_button)
    assert rules.list.currentRow() == 1
    rules.name.clear()
    qtbot.keyClicks(rules.name, "Governors")
    rules.effect.setCurrentIndex(rules.effect.findData("threshold"))
    assert rules.threshold.isEnabled()
    rules.threshold.setValue(2)
    qtbot.keyClicks(rules.lists, "Board, Parents 3B")
    rules.addresses.setPlainText("Chair <chair@gov.example>, vice@gov.example\n")
    lists = window.rules.lists
    click(qtbot, lists.add_button)
    lists.name.clear()
    qtbot.keyClicks(lists.name, "Board")
    lists.members.setPlainText("a@board.example\nb@board.example")

    click(qtbot, window.save_button)

    assert window.status.text() == "Saved."
    reloaded = load_settings(config)
    assert saved == [reloaded]
    assert reloaded.rules == (
        STAFF,
        RuleSettings(
            "Governors",
            "threshold",
            lists=("Board", "Parents 3B"),
            addresses=("chair@gov.example", "vice@gov.example"),
            threshold=2,
        ),
    )
    assert reloaded.lists == (
        PARENTS,
        ListSettings("Board", ("a@board.example", "b@board.example")),
    )
    policy = reloaded.policy_for("me@school.example")
    assert "a@board.example" in policy.rules[1].addresses


def test_a_bad_rule_is_said_at_once_and_not_saved(
    qtbot, window: SettingsWindow, config: Path, saved: list[Settings]
) -> None:
    rules = window.rules.rules
    rules.domains.setPlainText("school.example\ngmail.com")
    assert not rules.error.isHidden()
    assert "gmail.com is a public mail domain" in rules.error.text()
    before = config.read_text(encoding="utf-8")
    window.tabs.setCurrentIndex(0)
    click(qtbot, window.save_button)
    assert window.status.text().startswith("Not saved: rules[0].domains[1]:")
    assert window.tabs.currentWidget() is window.rules
    assert config.read_text(encoding="utf-8") == before
    assert saved == []
    rules.domains.setPlainText("school.example")
    assert rules.error.isHidden()


def test_a_pasted_address_that_does_not_read_is_named(
    qtbot, window: SettingsWindow
) -> None:
    lists = window.rules.lists
    lists.members.setPlainText("anna@home.example, nobody here")
    assert lists.error.text() == "not an e-mail address: nobody here"
    click(qtbot, window.save_button)
    assert "lists[0].members[1]" in window.status.text()


def test_removing_a_rule_and_a_list(
    qtbot, window: SettingsWindow, config: Path
) -> None:
    click(qtbot, window.rules.rules.remove_button)
    click(qtbot, window.rules.lists.remove_button)
    assert not window.rules.rules.form_box.isEnabled()
    click(qtbot, window.save_button)
    reloaded = load_settings(config)
    assert (reloaded.rules, reloaded.lists) == ((), ())


def test_a_new_rule_must_name_someone(qtbot, window: SettingsWindow) -> None:
    click(qtbot, window.rules.rules.add_button)
    assert window.rules.rules.error.text() == "names no list, address or domain"
    click(qtbot, window.save_button)
    assert window.status.text() == (
        "Not saved: rules[1]: names no list, address or domain"
    )
    assert window.rules.rules.list.currentRow() == 1


def test_escape_closes_the_window(qtbot, window: SettingsWindow) -> None:
    from bccguard.ui.window_places import close_on_escape

    close_on_escape(window)  # as the application does for every window
    window.activateWindow()
    qtbot.keyClick(window.rules.rules.name, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_a_list_only_thunderbird_knows_is_noted_not_refused(
    qtbot, window: SettingsWindow
) -> None:
    rules = window.rules.rules
    rules.lists.clear()
    qtbot.keyClicks(rules.lists, "Parents 3B, Chess club")
    assert not rules.note.isHidden()
    assert rules.note.text().startswith("Not in the lists below: Chess club.")
    assert rules.error.isHidden()
    lists = window.rules.lists
    click(qtbot, lists.add_button)
    lists.name.clear()
    qtbot.keyClicks(lists.name, "chess club")
    assert rules.note.isHidden()
