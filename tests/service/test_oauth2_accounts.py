"""An account that signs in by OAuth2, end to end: a mail client -> the proxy ->
an SMTP server that validates tokens at a real authorization server (oidc-provider,
RFC 7662 introspection, as Dovecot does). The token is refreshed before the login;
a revoked grant holds the mail in needs-sign-in, and a new sign-in sends it once.
"""

from __future__ import annotations

import time
from base64 import b64decode
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, AuthResult

from bccguard.adapters.control_channel import request
from bccguard.adapters.oauth2_client import oauth_client
from bccguard.adapters.oauth2_sign_in import sign_in
from bccguard.adapters.oauth2_tokens import TokenProvider, TokenState, token_key
from bccguard.adapters.paths import control_file
from bccguard.core.held import HeldState
from bccguard.core.settings import Settings, settings_from_mapping
from bccguard.service import Guard
from bccguard.service.relays import Relays
from tests.oauth2_server import (
    AuthServer,
    browse_sign_in,
    introspect,
)
from tests.service.test_guard import submit, wait_for
from tests.smtp_sink import LoopbackController, Sink
from tests.support import EventLog, MemorySecrets

pytestmark = pytest.mark.slow
USER = "alice@example.com"
DATA = (
    b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
    b"Subject: hi\r\nMessage-ID: <oauth2-1@example.com>\r\n\r\nhello\r\n"
)


class IntrospectingSink(Sink):
    """A submission server that asks the authorization server about each token."""

    def __init__(self, server: AuthServer) -> None:
        super().__init__()
        self.server = server

    async def auth_XOAUTH2(self, smtp: SMTP, args: list[str]) -> AuthResult:
        blob = b64decode(args[1]) if len(args) == 2 else b""
        fields = dict(p.split("=", 1) for p in blob.decode().split("\x01") if p)
        login = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        self.logins.append(("XOAUTH2", login, token))
        answer = introspect(self.server, token)
        if answer.get("active") and answer.get("sub") == login:
            return AuthResult(success=True, auth_data=login)
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 token not accepted"
        )


@pytest.fixture
def submission(auth_server: AuthServer) -> Iterator[tuple[IntrospectingSink, int]]:
    handler = IntrospectingSink(auth_server)
    controller = LoopbackController(
        handler,
        authenticator=handler.authenticate,
        auth_require_tls=False,  # loopback only: the settings allow no TLS here
        auth_exclude_mechanism=["PLAIN", "LOGIN"],
    )
    controller.start()
    yield handler, controller.port
    controller.stop()


def settings_for(server: AuthServer, port: int) -> Settings:
    return settings_from_mapping(
        {
            "oauth": {"google": server.oauth_table()},
            "accounts": [
                {
                    "name": "gmail",
                    "email": USER,
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "smtp_tls": "none",
                    "oauth": "google",
                }
            ],
        }
    )


def signed_in(settings: Settings) -> TokenState:
    client = oauth_client(settings, "google")
    return sign_in(client, lambda url: browse_sign_in(url, USER), login_hint=USER)


def spend(settings: Settings, state: TokenState, home: Path) -> None:
    """Present ``state``'s refresh token twice: the server revokes the grant."""
    client = oauth_client(settings, "google")
    spender = TokenProvider("spender", client, MemorySecrets(), home)
    spender.store(state)
    spender.access_token(refused=state.access_token)
    spender.store(state)
    with pytest.raises(Exception, match="sign in again"):
        spender.access_token(refused=state.access_token)


def test_the_relay_refreshes_an_expired_token_before_the_login(
    auth_server: AuthServer, submission: tuple[IntrospectingSink, int], home: Path
) -> None:
    sink, port = submission
    settings = settings_for(auth_server, port)
    secrets = MemorySecrets()
    state = signed_in(settings)
    expired = TokenState(state.refresh_token, state.access_token, time.time() - 1)
    secrets.set(token_key("gmail"), expired.to_json())
    relays = Relays(lambda: settings, secrets)
    try:
        result = relays.send(USER, ["bob@example.net"], DATA)
    finally:
        relays.close()
    assert result.ok
    stored = TokenState.from_json(secrets.get(token_key("gmail")) or "")
    assert stored is not None
    assert [t for _, _, t in sink.logins] == [stored.access_token]
    assert stored.access_token != state.access_token


def test_a_revoked_grant_holds_the_mail_until_the_user_signs_in_again(
    auth_server: AuthServer, submission: tuple[IntrospectingSink, int], home: Path
) -> None:
    sink, port = submission
    settings = settings_for(auth_server, port)
    secrets = MemorySecrets()
    first = signed_in(settings)
    spend(settings, first, home)  # the grant is revoked now
    secrets.set(token_key("gmail"), TokenState(first.refresh_token).to_json())
    guard = Guard(home, settings, secrets, EventLog())
    guard.start()
    try:
        code, text = submit(guard, DATA, ["bob@example.net"], sender=USER)

        wait_for(
            lambda: any(
                h.state is HeldState.NEEDS_SIGN_IN for h in guard.held_messages()
            ),
            timeout=20,
        )
        assert sink.received == []  # held, not failed, not lost
        provider = TokenProvider(
            "gmail", oauth_client(settings, "google"), secrets, home
        )
        provider.store(signed_in(settings))
        # What `bccguard account sign-in` says to the running guard.
        answer = request(control_file(home), "signed-in", account="gmail")
        assert answer["ok"]
        wait_for(lambda: len(sink.received) == 1, timeout=20)
        time.sleep(0.5)
        assert len(sink.received) == 1  # sent once
    finally:
        guard.stop()
    assert code == 250, text  # BccGuard has it; the mail program is done
