"""The settings tree: defaults, validation with key paths, and the TOML round trip."""

from __future__ import annotations

import tomllib

import pytest

from bccguard.adapters.settings_file import dumps, load_settings, save_settings
from bccguard.core.settings import (
    Account,
    Settings,
    SettingsError,
    settings_from_mapping,
)


def test_provider_presets() -> None:
    gmail = Account("g", "me@gmail.com", "smtp.gmail.com", provider="gmail")
    office = Account(
        "o", "me@corp.example", "smtp.office365.com", provider="microsoft365"
    )
    assert gmail.recipient_limit() == 100
    assert office.recipient_limit() == 500
    assert Account("x", "a@b.example", "h", max_recipients=42).recipient_limit() == 42


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"proxy": {"port": 0}}, "proxy.port"),
        ({"proxy": {"port": "2525"}}, "proxy.port: must be a whole number"),
        ({"policy": {"threshold": -1}}, "policy.threshold"),
        ({"policy": {"trusted_domains": ["gmail.com"]}}, "policy.trusted_domains"),
        ({"policy": {"action": "explode"}}, "policy.action"),
        ({"policy": {"colour": "red"}}, "policy.colour: unknown setting"),
        (
            {"accounts": [{"name": "a", "email": "x@y.example"}]},
            "accounts[0].smtp_host",
        ),
        (
            {
                "accounts": [
                    {"name": "a", "email": "e", "smtp_host": "h", "smtp_tls": "ssl"}
                ]
            },
            "accounts[0].smtp_tls",
        ),
        ({"ui": {"language": "klingon"}}, "ui.language"),
        ({"proxy": []}, "proxy: must be a table"),
    ],
)
def test_bad_values_name_their_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(
        SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        settings_from_mapping(data)


def test_duplicate_account_names_are_refused() -> None:
    account = {"name": "a", "email": "e@x.example", "smtp_host": "h"}
    with pytest.raises(SettingsError, match="same name"):
        settings_from_mapping({"accounts": [account, account]})


def test_round_trip_through_the_file(tmp_path) -> None:
    settings = Settings().with_account(
        Account(
            "work",
            "me@corp.example",
            "smtp.corp.example",
            threshold=20,
            provider="microsoft365",
        )
    )
    path = tmp_path / "config.toml"
    save_settings(path, settings)
    assert load_settings(path) == settings
    assert settings_from_mapping(tomllib.loads(dumps(settings))) == settings


def test_missing_file_gives_defaults(tmp_path) -> None:
    assert load_settings(tmp_path / "nothing.toml") == Settings()


def test_broken_toml_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[policy\nthreshold = 3\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(path)


def test_account_threshold_wins_and_own_address_is_not_exposed() -> None:
    account = Account("w", "me@corp.example", "h", threshold=3)
    settings = Settings(accounts=(account,))
    policy = settings.base_policy(settings.account_for("ME@corp.example"))
    assert policy.threshold == 3
    assert policy.own_addresses == frozenset({"me@corp.example"})


def test_an_identity_can_have_its_own_action() -> None:
    account = Account("w", "me@corp.example", "h", action="convert")
    settings = Settings(accounts=(account,))
    assert settings.base_policy(account).action.value == "convert"
    assert settings.base_policy(None).action.value == "ask"
    with pytest.raises(SettingsError, match=r"accounts\[0\].action"):
        settings_from_mapping(
            {"accounts": [{"name": "a", "email": "e", "smtp_host": "h", "action": "x"}]}
        )
