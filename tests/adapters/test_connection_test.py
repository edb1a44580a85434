"""The connection test against real servers: an AUTH-requiring aiosmtpd with a
trustme certificate and a real Dovecot; one kind per failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from bccguard.adapters.connection_test import (
    FailureKind,
    check_imap,
    check_smtp,
    try_account,
)
from bccguard.adapters.smtp_relay import TlsMode
from bccguard.core.discovery import MailServers, Server, Source
from tests.adapters.conftest import PASSWORD, USERNAME, Certs
from tests.dovecot_server import PASSWORD as IMAP_PASSWORD
from tests.dovecot_server import USER as IMAP_USER
from tests.dovecot_server import Dovecot
from tests.smtp_sink import Sink, SinkServer

APP_PASSWORD_REPLY = (
    "534 5.7.9 Application-specific password required. For more information, go "
    "to https://support.google.com/mail/?p=InvalidSecondFactor"
)


class SecondFactorSink(Sink):
    """Like Gmail with 2-step verification: the account password is right, and
    still refused with 534 5.7.9."""

    def authenticate(self, *args: Any) -> AuthResult:
        auth_data = args[-1]
        assert isinstance(auth_data, LoginPassword)
        return AuthResult(success=False, handled=False, message=APP_PASSWORD_REPLY)


def smtp_server(sink: SinkServer) -> Server:
    tls = {TlsMode.STARTTLS: "starttls", TlsMode.IMPLICIT: "implicit"}[sink.tls]
    return Server(sink.host, sink.port, tls)


def test_smtp_auth_with_the_right_password(auth_sink: SinkServer) -> None:
    result = check_smtp(
        smtp_server(auth_sink), USERNAME, PASSWORD, ca_file=auth_sink.ca_file
    )
    assert result.ok, result
    assert auth_sink.handler.logins[-1][1:] == (USERNAME, PASSWORD)
    assert auth_sink.received == []  # nothing sent


def test_smtp_password_refused(auth_sink: SinkServer) -> None:
    result = check_smtp(
        smtp_server(auth_sink), USERNAME, "wrong", ca_file=auth_sink.ca_file
    )
    assert result.kind is FailureKind.PASSWORD_REFUSED
    assert result.detail.startswith("535")


def test_smtp_two_step_verification_needs_an_app_password(
    sink_factory: Callable[..., SinkServer],
) -> None:
    handler = SecondFactorSink()
    sink = sink_factory(
        handler,
        tls=TlsMode.STARTTLS,
        authenticator=handler.authenticate,
        auth_required=True,
    )
    result = check_smtp(smtp_server(sink), USERNAME, PASSWORD, ca_file=sink.ca_file)
    assert result.kind is FailureKind.APP_PASSWORD_NEEDED
    assert "5.7.9" in result.detail
    assert "app password" in result.describe()


def test_smtp_certificate_from_a_stranger_is_a_tls_failure(
    auth_sink: SinkServer, certs: Certs
) -> None:
    result = check_smtp(
        smtp_server(auth_sink), USERNAME, PASSWORD, ca_file=certs.wrong_ca_file
    )
    assert result.kind is FailureKind.TLS
    assert "certificate" in result.detail.lower()
    assert auth_sink.handler.logins == []  # no password went out


def test_smtp_implicit_tls_certificate_from_a_stranger(
    implicit_tls_sink: SinkServer, certs: Certs
) -> None:
    result = check_smtp(
        smtp_server(implicit_tls_sink), USERNAME, PASSWORD, ca_file=certs.wrong_ca_file
    )
    assert result.kind is FailureKind.TLS


def test_smtp_server_without_starttls_is_a_tls_failure(sink: SinkServer) -> None:
    result = check_smtp(Server(sink.host, sink.port, "starttls"), USERNAME, PASSWORD)
    assert result.kind is FailureKind.TLS
    assert "STARTTLS" in result.detail


def test_a_name_that_does_not_exist(closed_port: int) -> None:
    # RFC 6761 §6.4: .invalid names never resolve.
    result = check_smtp(Server("smtp.no-such-host.invalid", 465, "implicit"), "u", "p")
    assert result.kind is FailureKind.NAME_NOT_FOUND
    imap = check_imap(Server("imap.no-such-host.invalid", 993, "implicit"), "u", "p")
    assert imap.kind is FailureKind.NAME_NOT_FOUND


def test_nothing_listening_is_unreachable(closed_port: int) -> None:
    result = check_smtp(Server("127.0.0.1", closed_port, "implicit"), "u", "p")
    assert result.kind is FailureKind.UNREACHABLE
    imap = check_imap(Server("127.0.0.1", closed_port, "none"), "u", "p")
    assert imap.kind is FailureKind.UNREACHABLE


def test_imap_login_against_dovecot(dovecot: Dovecot) -> None:
    server = Server("127.0.0.1", dovecot.port, "none")
    assert check_imap(server, IMAP_USER, IMAP_PASSWORD).ok
    refused = check_imap(server, IMAP_USER, "wrong")
    assert refused.kind is FailureKind.PASSWORD_REFUSED
    assert "AUTHENTICATIONFAILED" in refused.detail


def test_imap_app_password_needed_against_dovecot(dovecot: Dovecot) -> None:
    # A user whose password is right but who may not log in, with the words
    # Gmail uses: Dovecot's passdb "nologin" with a "reason".
    with (dovecot.root / "passwd").open("a") as passwd:
        passwd.write(
            "bob:{PLAIN}pw::::::nologin=y "
            "reason=Application-specific_password_required\n"
        )
    result = check_imap(Server("127.0.0.1", dovecot.port, "none"), "bob", "pw")
    assert result.kind is FailureKind.APP_PASSWORD_NEEDED, result


def test_imap_starttls_not_offered_is_a_tls_failure(dovecot: Dovecot) -> None:
    result = check_imap(Server("127.0.0.1", dovecot.port, "starttls"), "u", "p")
    assert result.kind is FailureKind.TLS


def test_the_whole_account_reports_each_server(
    auth_sink: SinkServer, dovecot: Dovecot
) -> None:
    servers = MailServers(
        email=USERNAME,
        smtp=smtp_server(auth_sink),
        imap=Server("127.0.0.1", dovecot.port, "none", IMAP_USER),
        source=Source.AUTOCONFIG,
        origin="test",
    )
    steps: list[str] = []
    report = try_account(
        servers, USERNAME, PASSWORD, ca_file=auth_sink.ca_file, progress=steps.append
    )
    assert steps == ["smtp", "imap"]
    assert [r.ok for r in report.results] == [True, False]  # Dovecot's is "secret"
    assert not report.ok
    assert report.results[1].kind is FailureKind.PASSWORD_REFUSED


@pytest.mark.parametrize("kind", list(FailureKind))
def test_every_kind_has_words(kind: FailureKind) -> None:
    from bccguard.adapters.connection_test import FAILURE_TEXT

    assert FAILURE_TEXT[kind]


def test_no_password_goes_unencrypted_over_a_network(auth_sink: SinkServer) -> None:
    # A profile may list a remote server without TLS: nothing is even tried.
    for check in (check_smtp, check_imap):
        result = check(Server("mail.corp.example", 25, "none"), USERNAME, PASSWORD)
        assert result.kind is FailureKind.TLS
        assert result.detail == "no encryption offered"
