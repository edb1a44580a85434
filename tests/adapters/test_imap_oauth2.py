"""IMAP logins of an OAuth2 account against a real Dovecot whose oauth2 passdb asks
a real authorization server (oidc-provider, RFC 7662 introspection, post mode)
about each token: refreshed before the login, renewed once after a refusal."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.adapters.imap_connection import ImapError, connect
from bccguard.adapters.oauth2_client import oauth_client
from bccguard.adapters.oauth2_sign_in import sign_in
from bccguard.adapters.oauth2_tokens import TokenState, token_key
from bccguard.core.settings import Settings, settings_from_mapping
from bccguard.mailbox_guard import endpoint_for
from tests.dovecot_server import USER, Dovecot
from tests.oauth2_server import (
    MAIL_SERVER_CLIENT,
    AuthServer,
    browse_sign_in,
    running_auth_server,
)
from tests.support import MemorySecrets

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def auth_server() -> Iterator[AuthServer]:
    with running_auth_server() as server:
        yield server


@pytest.fixture(scope="module")
def dovecot(auth_server: AuthServer) -> Iterator[Dovecot]:
    """Dovecot that takes XOAUTH2 tokens the authorization server says are active."""
    client_id, secret = MAIL_SERVER_CLIENT
    host = auth_server.issuer.removeprefix("http://")
    url = f"http://{client_id}:{secret}@{host}/token/introspection"
    root = Path(tempfile.mkdtemp(prefix="bccguard-dovecot-"))
    server = Dovecot(root, introspection_url=url)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("BCCGUARD_HOME", str(folder))
    return folder


def settings_for(server: AuthServer, dovecot: Dovecot) -> Settings:
    return settings_from_mapping(
        {
            "oauth": {"google": server.oauth_table()},
            "accounts": [
                {
                    "name": "mail",
                    "email": "alice@example.com",
                    "smtp_host": "127.0.0.1",
                    "smtp_tls": "none",
                    "imap_host": "127.0.0.1",
                    "imap_port": dovecot.port,
                    "imap_tls": "none",
                    "imap_username": USER,
                    "oauth": "google",
                }
            ],
        }
    )


def signed_in(settings: Settings) -> TokenState:
    client = oauth_client(settings, "google")
    return sign_in(client, lambda url: browse_sign_in(url, USER))


def test_an_expired_token_is_refreshed_before_the_imap_login(
    auth_server: AuthServer, dovecot: Dovecot, home: Path
) -> None:
    settings = settings_for(auth_server, dovecot)
    secrets = MemorySecrets()
    state = signed_in(settings)
    expired = TokenState(state.refresh_token, state.access_token, time.time() - 1)
    secrets.set(token_key("mail"), expired.to_json())
    client = connect(endpoint_for(settings.accounts[0], secrets, settings))
    try:
        assert "INBOX" in [name for _, _, name in client.list_folders()]
    finally:
        client.logout()
    renewed = TokenState.from_json(secrets.get(token_key("mail")) or "")
    assert renewed is not None
    assert renewed.access_token != state.access_token


def test_a_token_refused_before_its_expiry_is_renewed_once(
    auth_server: AuthServer, dovecot: Dovecot, home: Path
) -> None:
    settings = settings_for(auth_server, dovecot)
    secrets = MemorySecrets()
    state = signed_in(settings)
    # The server no longer takes this token (revoked), though it has not expired.
    revoked = TokenState(state.refresh_token, "revoked-token", time.time() + 3600)
    secrets.set(token_key("mail"), revoked.to_json())
    client = connect(endpoint_for(settings.accounts[0], secrets, settings))
    client.logout()
    renewed = TokenState.from_json(secrets.get(token_key("mail")) or "")
    assert renewed is not None
    assert renewed.access_token not in ("revoked-token", state.access_token)


def test_a_lost_grant_is_an_imap_error_that_says_sign_in(
    auth_server: AuthServer, dovecot: Dovecot, home: Path
) -> None:
    settings = settings_for(auth_server, dovecot)
    endpoint = endpoint_for(settings.accounts[0], MemorySecrets(), settings)
    with pytest.raises(ImapError, match="not signed in"):
        connect(endpoint)
