"""SMTP XOAUTH2 the way providers run it: Postfix submission authenticating
through Dovecot's SASL service, whose oauth2 passdb asks a real authorization
server (oidc-provider, RFC 7662 introspection) about each token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.adapters.oauth2_client import oauth_client
from bccguard.adapters.oauth2_sign_in import sign_in
from bccguard.adapters.oauth2_tokens import TokenProvider, TokenState, token_key
from bccguard.core.settings import Settings, settings_from_mapping
from bccguard.service.relays import Relays
from tests.dovecot_server import USER
from tests.oauth2_mail import running_oauth2_mail
from tests.oauth2_server import AuthServer, browse_sign_in
from tests.postfix_server import available
from tests.smtp_sink import Sink
from tests.support import MemorySecrets

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]
SENDER = "alice@example.com"
DATA = (
    b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
    b"Subject: hi\r\nMessage-ID: <postfix-oauth2@example.com>\r\n\r\nhello\r\n"
)


@pytest.fixture(scope="module")
def submission(auth_server: AuthServer) -> Iterator[tuple[int, Sink]]:
    """Postfix on a free port (SASL through Dovecot), relaying to a sink."""
    with running_oauth2_mail(auth_server) as mail:
        yield mail.smtp_port, mail.sink


def settings_for(server: AuthServer, port: int) -> Settings:
    return settings_from_mapping(
        {
            "oauth": {"google": server.oauth_table()},
            "accounts": [
                {
                    "name": "mail",
                    "email": SENDER,
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "smtp_tls": "none",
                    "smtp_username": USER,
                    "oauth": "google",
                }
            ],
        }
    )


def signed_in(settings: Settings) -> TokenState:
    client = oauth_client(settings, "google")
    return sign_in(client, lambda url: browse_sign_in(url, USER))


def send(settings: Settings, secrets: MemorySecrets) -> object:
    relays = Relays(lambda: settings, secrets)
    try:
        return relays.send(SENDER, ["bob@example.net"], DATA)
    finally:
        relays.close()


def wait_for_mail(sink: Sink, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(sink.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(sink.received) == count


def test_an_expired_token_is_refreshed_and_postfix_takes_the_mail(
    auth_server: AuthServer, submission: tuple[int, Sink], home: Path
) -> None:
    port, sink = submission
    settings = settings_for(auth_server, port)
    secrets = MemorySecrets()
    state = signed_in(settings)
    expired = TokenState(state.refresh_token, state.access_token, time.time() - 1)
    secrets.set(token_key("mail"), expired.to_json())
    before = len(sink.received)
    result = send(settings, secrets)
    assert result.ok  # type: ignore[attr-defined]
    wait_for_mail(sink, before + 1)


def test_a_revoked_grant_is_refused_as_a_sign_in(
    auth_server: AuthServer, submission: tuple[int, Sink], home: Path
) -> None:
    port, sink = submission
    settings = settings_for(auth_server, port)
    state = signed_in(settings)
    tokens = TokenProvider(
        "mail", oauth_client(settings, "google"), MemorySecrets(), home
    )
    tokens.store(state)
    tokens.access_token(refused=state.access_token)  # rotates
    tokens.store(state)  # the spent refresh token comes back: the grant is revoked
    with pytest.raises(Exception, match="sign in again"):
        tokens.access_token(refused=state.access_token)
    secrets = MemorySecrets()
    secrets.set(token_key("mail"), state.to_json())  # its access token is revoked too
    before = len(sink.received)
    (batch,) = send(settings, secrets).batches  # type: ignore[attr-defined]
    assert batch.sign_in
    assert len(sink.received) == before
