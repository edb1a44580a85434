"""OAuth2 sign-in and refresh against a real authorization server on loopback
(oidc-provider: PKCE required, refresh tokens rotated, a spent one revokes the grant).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bccguard.adapters.oauth2_client import (
    OAuthClient,
    OAuthConfigError,
    OAuthTemporaryError,
    SignInNeededError,
    oauth_client,
)
from bccguard.adapters.oauth2_sign_in import LoopbackRedirect, SignInError, sign_in
from bccguard.adapters.oauth2_tokens import TokenProvider, TokenState, token_key
from bccguard.adapters.secrets import FileSecretStore
from bccguard.core.settings import Settings, settings_from_mapping
from tests.oauth2_server import AuthServer, browse_sign_in
from tests.support import MemorySecrets

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
USER = "alice@example.com"


def settings_for(server: AuthServer) -> Settings:
    return settings_from_mapping({"oauth": {"google": server.oauth_table()}})


@pytest.fixture
def client(auth_server: AuthServer) -> OAuthClient:
    return oauth_client(settings_for(auth_server), "google")


def signed_in(client: OAuthClient) -> TokenState:
    """A fresh grant, the browser step done by posting the login and consent forms."""
    return sign_in(client, lambda url: browse_sign_in(url, USER), login_hint=USER)


class Clock:
    """Epoch seconds that a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def test_sign_in_with_pkce_gives_a_refresh_token(client: OAuthClient) -> None:
    state = signed_in(client)
    assert state.refresh_token
    assert state.access_token
    assert state.fresh(time.time())


def test_the_authorization_url_asks_for_s256_pkce_and_a_loopback_redirect(
    client: OAuthClient,
) -> None:
    seen: list[str] = []

    def look(url: str) -> None:
        seen.append(url)
        browse_sign_in(url, USER)

    sign_in(client, look)
    assert "code_challenge_method=S256" in seen[0]
    assert "code_challenge=" in seen[0]
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in seen[0]


def test_a_redirect_with_another_state_is_refused(client: OAuthClient) -> None:
    def forged(url: str) -> None:
        import requests

        redirect = url.split("redirect_uri=")[1].split("&", maxsplit=1)[0]
        target = requests.utils.unquote(redirect)
        requests.get(f"{target}?code=stolen&state=not-ours", timeout=10)

    with pytest.raises(SignInError):
        sign_in(client, forged, timeout=10)


def test_a_refused_consent_is_a_sign_in_error(client: OAuthClient) -> None:
    def refuse(url: str) -> None:
        import requests

        redirect = url.split("redirect_uri=")[1].split("&", maxsplit=1)[0]
        target = requests.utils.unquote(redirect)
        state = url.split("state=")[1].split("&", maxsplit=1)[0]
        requests.get(
            target,
            params={"error": "access_denied", "state": state, "iss": client.issuer},
            timeout=10,
        )

    with pytest.raises(SignInError, match="access_denied"):
        sign_in(client, refuse, timeout=10)


def test_the_loopback_listener_ignores_other_requests() -> None:
    import requests

    redirect = LoopbackRedirect()
    try:
        answer = requests.get(redirect.redirect_uri + "favicon.ico", timeout=10)
        assert answer.status_code == 404
        with pytest.raises(SignInError):
            redirect.wait(0.2)
    finally:
        redirect.close()


def test_an_expired_access_token_is_refreshed_and_the_rotated_one_stored(
    client: OAuthClient, tmp_path: Path
) -> None:
    secrets, clock = MemorySecrets(), Clock()
    provider = TokenProvider("gmail", client, secrets, tmp_path, clock=clock)
    first = signed_in(client)
    provider.store(first)
    assert provider.access_token() == first.access_token  # fresh: no refresh

    clock.offset = 2 * 3600  # past its expiry
    token = provider.access_token()
    stored = TokenState.from_json(secrets.values[token_key("gmail")])
    assert stored is not None
    assert token != first.access_token
    assert stored.access_token == token
    assert stored.refresh_token != first.refresh_token  # rotated, and kept
    assert provider.access_token() == token  # fresh again: no second refresh


def test_a_token_the_server_refused_is_refreshed_once_more(
    client: OAuthClient, tmp_path: Path
) -> None:
    provider = TokenProvider("gmail", client, MemorySecrets(), tmp_path)
    provider.store(signed_in(client))
    token = provider.access_token()
    renewed = provider.access_token(refused=token)
    assert renewed != token
    # Another login that the old token failed does not refresh again.
    assert provider.access_token(refused=token) == renewed


def test_a_token_server_out_of_reach_keeps_the_grant(
    client: OAuthClient, tmp_path: Path
) -> None:
    secrets, clock = MemorySecrets(), Clock()
    state = signed_in(client)
    secrets.values[token_key("gmail")] = state.to_json()
    offline = OAuthClient(
        provider="google",
        client_id=client.client_id,
        authorization_endpoint=client.authorization_endpoint,
        token_endpoint="http://127.0.0.1:9/token",  # discard port: nobody answers
        scopes=client.scopes,
    )
    clock.offset = 2 * 3600
    provider = TokenProvider("gmail", offline, secrets, tmp_path, clock=clock)
    with pytest.raises(OAuthTemporaryError):
        provider.access_token()
    assert secrets.values[token_key("gmail")] == state.to_json()
    # Back online, the same grant still works.
    online = TokenProvider("gmail", client, secrets, tmp_path, clock=clock)
    assert online.access_token()


def test_a_spent_refresh_token_revokes_the_grant_and_asks_for_sign_in(
    client: OAuthClient, tmp_path: Path
) -> None:
    """Why one refresher matters: oidc-provider revokes a grant whose spent
    refresh token comes back (RFC 9700 §4.14.2)."""
    secrets, clock = MemorySecrets(), Clock()
    provider = TokenProvider("gmail", client, secrets, tmp_path, clock=clock)
    first = signed_in(client)
    provider.store(first)
    clock.offset = 2 * 3600
    provider.access_token()  # rotates: first.refresh_token is spent now
    secrets.values[token_key("gmail")] = first.to_json()  # a stale copy comes back
    with pytest.raises(SignInNeededError, match="sign in again"):
        provider.access_token()
    with pytest.raises(SignInNeededError):
        provider.access_token()  # the whole grant is gone, not only that token


def test_invalid_grant_reads_the_store_again_before_signing_out(
    client: OAuthClient, tmp_path: Path
) -> None:
    """A stale read (a response lost in transit, a store another process wrote
    meanwhile) must not sign the user out when a newer grant is stored."""
    clock = Clock()
    first = signed_in(client)
    newer = signed_in(client)

    class StaleOnce(MemorySecrets):
        reads = 0

        def get(self, key: str) -> str | None:
            self.reads += 1
            # The first two reads (before and under the lock) see the old grant.
            return first.to_json() if self.reads <= 2 else super().get(key)

    # Spend first.refresh_token so the server answers invalid_grant for it.
    spender = TokenProvider("spend", client, MemorySecrets(), tmp_path)
    spender.store(first)
    spender.access_token(refused=first.access_token)

    secrets = StaleOnce()
    secrets.values[token_key("gmail")] = TokenState(newer.refresh_token).to_json()
    clock.offset = 2 * 3600
    provider = TokenProvider("gmail", client, secrets, tmp_path, clock=clock)
    token = provider.access_token()
    assert token
    stored = TokenState.from_json(secrets.values[token_key("gmail")])
    assert stored is not None
    assert stored.access_token == token


def test_nothing_stored_means_sign_in(client: OAuthClient, tmp_path: Path) -> None:
    provider = TokenProvider("gmail", client, MemorySecrets(), tmp_path)
    with pytest.raises(SignInNeededError, match="not signed in"):
        provider.access_token()


def test_no_client_id_is_a_configuration_error() -> None:
    with pytest.raises(OAuthConfigError, match=r"oauth\.google\.client_id"):
        oauth_client(Settings(), "google")


def test_processes_racing_to_refresh_refresh_once(
    client: OAuthClient, auth_server: AuthServer, tmp_path: Path
) -> None:
    """Four processes (proxy, watcher, CLI...) find the token expired at once:
    one refreshes, the others use what it stored; the grant survives."""
    home = tmp_path / "home"
    home.mkdir()
    store = FileSecretStore(home / "secrets.json")
    first = signed_in(client)
    store.set(token_key("gmail"), TokenState(first.refresh_token).to_json())
    go = tmp_path / "go"
    script = ROOT / "tests" / "oauth2_refresher.py"
    racers = [
        subprocess.Popen(
            [sys.executable, str(script), str(home), auth_server.issuer, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(1.0)  # all of them started and waiting
    go.touch()
    results = [racer.communicate(timeout=60) for racer in racers]
    for racer, (_out, err) in zip(racers, results, strict=True):
        assert racer.returncode == 0, err[-2000:]
    tokens = {out.strip() for out, _ in results}
    assert len(tokens) == 1  # one refresh, shared
    stored = TokenState.from_json(store.get(token_key("gmail")) or "")
    assert stored is not None
    assert stored.access_token in tokens
    # The stored refresh token is the live one: the grant was not revoked.
    provider = TokenProvider("gmail", client, store, home)
    assert provider.access_token(refused=stored.access_token)


def test_threads_of_one_process_racing_refresh_once(
    client: OAuthClient, tmp_path: Path
) -> None:
    """The proxy's relay and the IMAP watcher, each with its own provider, find
    the token expired at the same moment."""
    import threading

    secrets = MemorySecrets()
    first = signed_in(client)
    secrets.values[token_key("gmail")] = TokenState(first.refresh_token).to_json()
    providers = [TokenProvider("gmail", client, secrets, tmp_path) for _ in range(6)]
    start = threading.Barrier(len(providers))
    tokens: list[str] = []

    def race(provider: TokenProvider) -> None:
        start.wait()
        tokens.append(provider.access_token())

    threads = [threading.Thread(target=race, args=(p,)) for p in providers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(tokens) == len(providers)
    assert len(set(tokens)) == 1


def test_a_short_lived_token_is_used_until_the_last_quarter_of_its_life() -> None:
    hour = TokenState.from_response(
        {"access_token": "a", "expires_in": 3600}, "r", now=1000.0
    )
    assert hour.fresh(1000.0 + 3600 - 61) and not hour.fresh(1000.0 + 3600 - 59)
    short = TokenState.from_response(
        {"access_token": "a", "expires_in": 8}, "r", now=1000.0
    )
    assert short.fresh(1000.0 + 5.9) and not short.fresh(1000.0 + 6.1)
    assert TokenState.from_json(short.to_json()) == short
    # Stored before the lifetime was kept: the minute's margin, as before.
    old = TokenState.from_json(
        '{"refresh_token": "r", "access_token": "a", "expires_at": 1008}'
    )
    assert old is not None and not old.fresh(1000.0)
