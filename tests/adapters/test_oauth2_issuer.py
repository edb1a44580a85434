"""RFC 9207: the sign-in's answer must come from the server it was asked of.

oidc-provider names itself (``iss``) in every authorization response and promises
so in its metadata; the test peer can send another issuer, or none, to see that
BccGuard refuses such answers and takes an unnamed one only from a server that
never promised to name itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bccguard.adapters.oauth2_client import OAuthClient, oauth_client
from bccguard.adapters.oauth2_sign_in import (
    SignInError,
    SignInFailure,
    check_issuer,
    issuer_promised,
    sign_in,
)
from bccguard.core.settings import settings_from_mapping
from tests.oauth2_server import AuthServer, browse_sign_in

pytestmark = pytest.mark.slow
USER = "alice@example.com"


@pytest.fixture
def client(auth_server: AuthServer) -> Iterator[OAuthClient]:
    settings = settings_from_mapping({"oauth": {"google": auth_server.oauth_table()}})
    yield oauth_client(settings, "google")
    auth_server.answer_iss("")


def browse(url: str) -> None:
    browse_sign_in(url, USER)


def test_the_server_promises_its_iss_and_sends_it(
    auth_server: AuthServer, client: OAuthClient
) -> None:
    assert issuer_promised(auth_server.issuer)
    seen: list[str] = []
    state = sign_in(client, lambda url: seen.append(url) or browse(url), timeout=20)
    assert state.refresh_token


def test_another_issuer_is_refused(
    auth_server: AuthServer, client: OAuthClient
) -> None:
    auth_server.answer_iss("wrong")
    with pytest.raises(SignInError, match=r"127\.0\.0\.1:1/elsewhere") as refused:
        sign_in(client, browse, timeout=20)
    assert refused.value.failure is SignInFailure.MISMATCH


def test_a_missing_iss_where_promised_is_refused(
    auth_server: AuthServer, client: OAuthClient
) -> None:
    auth_server.answer_iss("drop")
    with pytest.raises(SignInError, match="names no issuer") as refused:
        sign_in(client, browse, timeout=20)
    assert refused.value.failure is SignInFailure.MISMATCH


def test_a_missing_iss_is_taken_from_a_server_that_never_promised_it(
    auth_server: AuthServer, client: OAuthClient
) -> None:
    auth_server.answer_iss("unpromised")
    assert not issuer_promised(auth_server.issuer)
    assert sign_in(client, browse, timeout=20).refresh_token


def test_a_client_configured_for_another_issuer_refuses_this_one(
    auth_server: AuthServer, client: OAuthClient
) -> None:
    elsewhere = replace(client, issuer="https://accounts.google.com")
    with pytest.raises(SignInError, match=r"not from https://accounts\.google\.com"):
        sign_in(elsewhere, browse, timeout=20)


def test_the_providers_issuers_are_known() -> None:
    settings = settings_from_mapping(
        {
            "oauth": {
                "google": {"client_id": "g"},
                "microsoft": {"client_id": "m", "tenant": "contoso.example"},
            }
        }
    )
    assert oauth_client(settings, "google").issuer == "https://accounts.google.com"
    assert oauth_client(settings, "microsoft").issuer == (
        "https://login.microsoftonline.com/contoso.example/v2.0"
    )
    # "common" is many tenants, each its own issuer: nothing to compare with.
    common = settings_from_mapping({"oauth": {"microsoft": {"client_id": "m"}}})
    client = oauth_client(common, "microsoft")
    assert client.issuer == ""
    check_issuer(client, "https://login.microsoftonline.com/some-tenant/v2.0")
