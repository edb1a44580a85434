"""The relay's OAuth2 login: a refused token is renewed once, a lost grant asks
for sign-in, and the mechanism is the one the server offers."""

from __future__ import annotations

from base64 import b64decode
from collections.abc import Callable
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult

from bccguard.adapters.oauth2_client import OAuthTemporaryError, SignInNeededError
from bccguard.adapters.smtp_relay import SmtpRelay, TlsMode
from tests.adapters.conftest import TOKEN, USERNAME
from tests.smtp_sink import Received, Sink, SinkServer

SENDER = "alice@example.com"
DATA = b"From: alice@example.com\r\nTo: a@example.net\r\nSubject: hi\r\n\r\nhello\r\n"


def test_a_refused_token_is_renewed_and_the_login_tried_once_more(
    xoauth2_sink: SinkServer,
) -> None:
    renewed: list[str] = []

    def renew(refused: str) -> str:
        renewed.append(refused)
        return TOKEN

    relay = SmtpRelay(
        xoauth2_sink.upstream(username=USERNAME, auth_mechanism="xoauth2"),
        password=lambda: "expired-token",
        renew_password=renew,
    )
    result = relay.send(SENDER, ["a@example.net"], DATA)
    assert result.ok
    assert renewed == ["expired-token"]
    assert [t for _, _, t in xoauth2_sink.handler.logins] == ["expired-token", TOKEN]
    assert xoauth2_sink.received == [Received(SENDER, ["a@example.net"], DATA)]


def test_a_renewed_token_refused_too_asks_for_sign_in(
    xoauth2_sink: SinkServer,
) -> None:
    relay = SmtpRelay(
        xoauth2_sink.upstream(username=USERNAME, auth_mechanism="xoauth2"),
        password=lambda: "expired-token",
        renew_password=lambda _: "also-refused",
    )
    (batch,) = relay.send(SENDER, ["a@example.net"], DATA).batches
    assert batch.code == 535
    assert batch.sign_in
    assert len(xoauth2_sink.handler.logins) == 2  # once more, not in a loop


def lost(error: Exception) -> Callable[[], str]:
    def source() -> str:
        raise error

    return source


def test_a_lost_grant_is_a_sign_in_refusal_not_a_missing_password(
    xoauth2_sink: SinkServer,
) -> None:
    relay = SmtpRelay(
        xoauth2_sink.upstream(username=USERNAME, auth_mechanism="xoauth2"),
        password=lost(SignInNeededError("gmail: the sign-in is no longer valid")),
    )
    (batch,) = relay.send(SENDER, ["a@example.net"], DATA).batches
    assert batch.sign_in
    assert batch.code == 535
    assert "no longer valid" in batch.text
    assert xoauth2_sink.handler.logins == []  # nothing was tried


def test_a_token_server_out_of_reach_is_temporary(xoauth2_sink: SinkServer) -> None:
    relay = SmtpRelay(
        xoauth2_sink.upstream(username=USERNAME, auth_mechanism="xoauth2"),
        password=lost(OAuthTemporaryError("gmail: the token server is unreachable")),
    )
    (batch,) = relay.send(SENDER, ["a@example.net"], DATA).batches
    assert batch.code == 454
    assert not batch.sign_in
    assert batch.temporary


@pytest.fixture
def no_oauth_sink(sink_factory: Callable[..., SinkServer]) -> SinkServer:
    """An upstream that offers only PLAIN and LOGIN."""
    handler = Sink(users={USERNAME: "x"})
    return sink_factory(
        handler,
        tls=TlsMode.STARTTLS,
        authenticator=handler.authenticate,
        auth_required=True,
        auth_exclude_mechanism=["XOAUTH2"],
    )


def test_a_server_without_an_oauth2_mechanism_gets_no_token(
    no_oauth_sink: SinkServer,
) -> None:
    relay = SmtpRelay(
        no_oauth_sink.upstream(username=USERNAME, auth_mechanism="xoauth2"),
        password=lambda: TOKEN,
    )
    (batch,) = relay.send(SENDER, ["a@example.net"], DATA).batches
    assert batch.code == 530
    assert "no login method" in batch.text
    assert no_oauth_sink.handler.logins == []


class OauthBearerSink(Sink):
    """A server that speaks only OAUTHBEARER (RFC 7628)."""

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> AuthResult:
        blob = b64decode(args[1]) if len(args) == 2 else b""
        header, _, rest = blob.decode().partition("\x01")
        fields = dict(p.split("=", 1) for p in rest.split("\x01") if "=" in p)
        login = header.split(",")[1].removeprefix("a=")
        token = fields.get("auth", "").removeprefix("Bearer ")
        self.logins.append(("OAUTHBEARER", login, token))
        ok = self.tokens.get(login) == token
        return AuthResult(success=ok, handled=False, auth_data=login)


def test_oauthbearer_when_the_server_offers_only_it(
    sink_factory: Callable[..., SinkServer],
) -> None:
    handler = OauthBearerSink(tokens={USERNAME: TOKEN})
    sink = sink_factory(
        handler,
        tls=TlsMode.STARTTLS,
        authenticator=handler.authenticate,
        auth_required=True,
        auth_exclude_mechanism=["PLAIN", "LOGIN", "XOAUTH2"],
    )
    relay = SmtpRelay(
        sink.upstream(username=USERNAME, auth_mechanism="xoauth2"),
        password=lambda: TOKEN,
    )
    assert relay.send(SENDER, ["a@example.net"], DATA).ok
    assert handler.logins == [("OAUTHBEARER", USERNAME, TOKEN)]
