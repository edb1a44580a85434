"""[oauth.google] / [oauth.microsoft]: BccGuard's own client registrations."""

from __future__ import annotations

from typing import Any

import pytest

from bccguard.core.settings import (
    SettingsError,
    settings_from_mapping,
    settings_to_mapping,
)

ACCOUNT = {"name": "gmail", "email": "a@gmail.com", "smtp_host": "smtp.gmail.com"}


def test_no_oauth_table_means_no_client_ids() -> None:
    settings = settings_from_mapping({})
    assert settings.oauth.google.client_id == ""
    assert settings.oauth.microsoft.tenant == ""


def test_a_registration_is_read_and_written_back() -> None:
    data: dict[str, Any] = {
        "oauth": {
            "google": {"client_id": "123.apps.googleusercontent.com"},
            "microsoft": {
                "client_id": "0000-1111",
                "tenant": "contoso.onmicrosoft.com",
            },
        },
        "accounts": [{**ACCOUNT, "oauth": "google"}],
    }
    settings = settings_from_mapping(data)
    assert settings.oauth.client("google").client_id.startswith("123.")
    assert settings.oauth.microsoft.tenant == "contoso.onmicrosoft.com"
    assert settings.accounts[0].oauth == "google"
    assert settings_from_mapping(settings_to_mapping(settings)) == settings


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"oauth": {"yahoo": {}}}, "oauth.yahoo"),
        ({"oauth": {"google": {"client": "x"}}}, "oauth.google.client"),
        ({"oauth": {"google": {"client_id": 5}}}, "oauth.google.client_id"),
        (
            {"oauth": {"google": {"token_endpoint": "http://auth.example/token"}}},
            "oauth.google.token_endpoint",
        ),
        (
            {"oauth": {"microsoft": {"authorization_endpoint": "ftp://x/"}}},
            "oauth.microsoft.authorization_endpoint",
        ),
        ({"oauth": {"google": {"scopes": "mail"}}}, "oauth.google.scopes"),
        ({"oauth": {"google": {"scopes": ["a b"]}}}, "oauth.google.scopes"),
        ({"accounts": [{**ACCOUNT, "oauth": "yahoo"}]}, "accounts[0].oauth"),
        ({"accounts": [{**ACCOUNT, "oauth": "google"}]}, "accounts[0].oauth"),
    ],
)
def test_bad_values_name_their_key(data: dict[str, Any], path: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping(data)
    assert caught.value.path == path


def test_an_account_with_oauth_needs_the_client_id_documented() -> None:
    with pytest.raises(SettingsError, match=r"\[oauth\.google\]"):
        settings_from_mapping({"accounts": [{**ACCOUNT, "oauth": "google"}]})


def test_plain_http_endpoints_only_to_this_machine() -> None:
    settings = settings_from_mapping(
        {"oauth": {"google": {"token_endpoint": "http://127.0.0.1:8080/token"}}}
    )
    assert settings.oauth.google.token_endpoint == "http://127.0.0.1:8080/token"
