"""IMAP logins of an OAuth2 account against a real Dovecot whose oauth2 passdb asks
a real authorization server (oidc-provider, RFC 7662 introspection, post mode)
about each token: refreshed before the login, renewed once after a refusal; a
lost grant makes the watchers wait for a sign-in instead of retrying."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.adapters.imap_connection import ImapError, connect
from bccguard.adapters.oauth2_client import SignInNeededError, oauth_client
from bccguard.adapters.oauth2_sign_in import sign_in
from bccguard.adapters.oauth2_tokens import TokenProvider, TokenState, token_key
from bccguard.core.settings import Settings, settings_from_mapping
from bccguard.events import MailboxStatus
from bccguard.mailbox_guard import MailboxGuard, endpoint_for
from tests.dovecot_server import USER, Dovecot
from tests.oauth2_server import (
    MAIL_SERVER_CLIENT,
    AuthServer,
    browse_sign_in,
)
from tests.support import EventLog, MemorySecrets, wait_for

pytestmark = pytest.mark.slow


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


def revoked(settings: Settings, home: Path) -> TokenState:
    """Tokens of a grant the server has revoked (its refresh token spent twice)."""
    state = signed_in(settings)
    spender = TokenProvider(
        "spender", oauth_client(settings, "google"), MemorySecrets(), home
    )
    spender.store(state)
    spender.access_token(refused=state.access_token)
    spender.store(state)
    with pytest.raises(SignInNeededError):
        spender.access_token(refused=state.access_token)
    return TokenState(state.refresh_token)  # no access token: a refresh is needed


def test_a_revoked_grant_makes_the_watcher_wait_for_a_sign_in_then_resume(
    auth_server: AuthServer, dovecot: Dovecot, home: Path, tmp_path: Path
) -> None:
    settings = settings_for(auth_server, dovecot)
    secrets = MemorySecrets()
    secrets.set(token_key("mail"), revoked(settings, home).to_json())
    events = EventLog()
    guard = MailboxGuard(
        tmp_path / "state",
        settings,
        secrets,
        events,
        None,
        watcher_options={"sign_in_poll": 0.2, "max_backoff": 1.0},
    )
    guard.start()
    try:
        wait_for(
            lambda: (
                {e.account for e in events.of(MailboxStatus) if e.needs_sign_in}
                == {"mail"}
                and all(w.waiting_for_sign_in for w in guard.watchers)
            ),
            timeout=20,
        )
        said = [e for e in events.of(MailboxStatus) if e.needs_sign_in]
        assert all(not e.ok and "sign in again" in e.detail for e in said)
        assert len(said) == len(guard.watchers)  # said once each: no retry loop
        assert all(w.sessions == 0 for w in guard.watchers)
        # A new sign-in, stored by any process: the watchers see it and log in.
        TokenProvider("mail", oauth_client(settings, "google"), secrets, home).store(
            signed_in(settings)
        )
        wait_for(
            lambda: (
                all(w.sessions == 1 for w in guard.watchers)
                and sum(e.ok for e in events.of(MailboxStatus)) == len(guard.watchers)
            ),
            timeout=20,
        )
        assert len([e for e in events.of(MailboxStatus) if e.needs_sign_in]) == len(
            said
        )
    finally:
        guard.stop()


def test_being_told_of_a_sign_in_resumes_at_once(
    auth_server: AuthServer, dovecot: Dovecot, home: Path, tmp_path: Path
) -> None:
    settings = settings_for(auth_server, dovecot)
    secrets = MemorySecrets()
    events = EventLog()  # nothing stored at all: "not signed in yet"
    guard = MailboxGuard(
        tmp_path / "state",
        settings,
        secrets,
        events,
        None,
        # Never looks at the store by itself within the test.
        watcher_options={"sign_in_poll": 600.0},
    )
    guard.start()
    try:
        wait_for(lambda: all(w.waiting_for_sign_in for w in guard.watchers))
        TokenProvider("mail", oauth_client(settings, "google"), secrets, home).store(
            signed_in(settings)
        )
        guard.signed_in("mail")
        wait_for(lambda: all(w.sessions == 1 for w in guard.watchers), timeout=20)
    finally:
        guard.stop()
