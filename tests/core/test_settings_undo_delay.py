"""Undo send's delay: one of a few choices per account, validated, saved and read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.settings import (
    UNDO_DELAYS,
    Account,
    Settings,
    SettingsError,
    settings_from_mapping,
)

ACCOUNT = {"name": "work", "email": "me@work.example", "smtp_host": "smtp.example"}


def test_the_delay_is_off_unless_an_account_asks_for_it() -> None:
    settings = settings_from_mapping({"accounts": [ACCOUNT]})
    assert settings.accounts[0].undo_delay == 0
    assert settings.undo_delay_for("me@work.example") == 0
    assert Settings().undo_delay_for("anyone@x.example") == 0


@pytest.mark.parametrize("delay", UNDO_DELAYS)
def test_each_offered_delay_is_accepted(delay: int) -> None:
    settings = settings_from_mapping({"accounts": [{**ACCOUNT, "undo_delay": delay}]})
    assert settings.undo_delay_for("ME@work.example") == delay


@pytest.mark.parametrize("value", [3, -5, 61, 600, 5.5, "10", True, None])
def test_other_values_are_refused_with_their_key(value: object) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping({"accounts": [{**ACCOUNT, "undo_delay": value}]})
    assert caught.value.path == "accounts[0].undo_delay"
    assert "0, 5, 10, 30, 60" in str(caught.value)


def test_each_account_has_its_own_delay() -> None:
    other = {**ACCOUNT, "name": "home", "email": "me@home.example"}
    settings = settings_from_mapping(
        {"accounts": [{**ACCOUNT, "undo_delay": 30}, {**other, "undo_delay": 5}]}
    )
    assert settings.undo_delay_for("me@work.example") == 30
    assert settings.undo_delay_for("me@home.example") == 5


def test_the_delay_is_written_back_and_read_again(tmp_path: Path) -> None:
    account = Account(
        name="work", email="me@work.example", smtp_host="smtp.example", undo_delay=10
    )
    path = tmp_path / "config.toml"
    save_settings(path, Settings(accounts=(account,)))
    assert "undo_delay = 10" in path.read_text(encoding="utf-8")
    assert load_settings(path).accounts[0].undo_delay == 10
