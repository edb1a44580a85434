"""The upstream relay against real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from bccguard.adapters.smtp_relay import (
    BatchOutcome,
    RelayConfigError,
    RelayResult,
    SmtpRelay,
    TlsMode,
    UpstreamConfig,
    is_loopback_host,
)
from bccguard.core.held import Delivery
from tests.adapters.conftest import PASSWORD, TOKEN, USERNAME, Certs
from tests.smtp_sink import Received, Sink, SinkServer
from tests.support import wait_for

SENDER = "boss@example.com"
DATA = (
    b"From: Boss <boss@example.com>\r\n"
    b"To: team@example.com\r\n"
    b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    b"Message-ID: <relay-test@example.com>\r\n"
    b"\r\n"
    b"Hello team,\r\n"
    b".a line that starts with a dot\r\n"
    b".\r\n"
    b"  trailing spaces stay   \r\n"
)
StartSink = Callable[..., SinkServer]


def recipients(count: int) -> list[str]:
    return [f"r{n:03}@example.net" for n in range(count)]


def send_with_hook(
    server: SinkServer, rcpts: list[str], hook: Callable[[tuple[str, ...]], None]
) -> RelayResult:
    relay = SmtpRelay(server.upstream())
    return relay.send(SENDER, rcpts, DATA, before_final_dot=hook)


def send(server: SinkServer, rcpts: list[str], **config: object) -> RelayResult:
    return SmtpRelay(server.upstream(**config)).send(SENDER, rcpts, DATA)


# -- delivery -------------------------------------------------------------------


def test_plain_loopback_delivers_envelope_and_bytes_unchanged(sink: SinkServer) -> None:
    result = send(sink, ["a@example.net", "b@example.org"])

    assert result.ok
    assert result.delivered == ("a@example.net", "b@example.org")
    assert result.batches[0].text == "2.0.0 OK queued"
    assert sink.received == [Received(SENDER, ["a@example.net", "b@example.org"], DATA)]


def test_starttls_with_verified_certificate(tls_sink: SinkServer) -> None:
    result = send(tls_sink, ["a@example.net"])

    assert result.ok
    assert tls_sink.received == [Received(SENDER, ["a@example.net"], DATA)]
    assert tls_sink.handler.secured == [True]


def test_implicit_tls_with_verified_certificate(implicit_tls_sink: SinkServer) -> None:
    result = send(implicit_tls_sink, ["a@example.net"])

    assert result.ok
    assert implicit_tls_sink.received == [Received(SENDER, ["a@example.net"], DATA)]


@pytest.mark.parametrize("tls", [TlsMode.STARTTLS, TlsMode.IMPLICIT])
def test_wrong_ca_fails_verification_clearly(
    sink_factory: StartSink, certs: Certs, tls: TlsMode
) -> None:
    server = sink_factory(tls=tls)

    result = send(server, ["a@example.net"], ca_file=certs.wrong_ca_file)

    (batch,) = result.batches
    assert batch.code == 421
    assert batch.text.startswith(f"upstream 127.0.0.1:{server.port}: TLS certificate")
    assert "verification failed" in batch.text
    assert server.received == []


def test_certificate_for_another_host_is_refused(
    sink_factory: StartSink, certs: Certs
) -> None:
    server = sink_factory(
        tls=TlsMode.STARTTLS,
        tls_context=certs.server_context_for("mail.example.org"),
    )

    result = send(server, ["a@example.net"])

    assert result.batches[0].code == 421
    assert "verification failed" in result.batches[0].text
    assert "127.0.0.1" in result.batches[0].text
    assert server.received == []


def test_starttls_not_offered_refuses_without_a_word_in_clear(
    sink_factory: StartSink,
) -> None:
    handler = Sink(users={USERNAME: PASSWORD})
    plain = sink_factory(
        handler, authenticator=handler.authenticate, auth_require_tls=False
    )
    relay = SmtpRelay(
        plain.upstream(tls=TlsMode.STARTTLS, username=USERNAME),
        password=lambda: PASSWORD,
    )

    result = relay.send(SENDER, ["a@example.net"], DATA)

    (batch,) = result.batches
    assert batch.code == 421
    assert batch.text == (
        f"upstream 127.0.0.1:{plain.port} does not offer STARTTLS; "
        "BccGuard will not send without encryption"
    )
    assert handler.logins == []
    assert plain.received == []


# -- authentication ---------------------------------------------------------------


def test_auth_after_starttls(auth_sink: SinkServer) -> None:
    calls: list[str] = []

    def password() -> str:
        calls.append("asked")
        return PASSWORD

    relay = SmtpRelay(auth_sink.upstream(username=USERNAME), password=password)
    result = relay.send(SENDER, ["a@example.net"], DATA)

    assert result.ok
    assert auth_sink.handler.logins == [("PLAIN", USERNAME, PASSWORD)]
    assert auth_sink.received == [Received(SENDER, ["a@example.net"], DATA)]
    assert calls == ["asked"]


def test_auth_without_tls_only_on_loopback(sink_factory: StartSink) -> None:
    handler = Sink(users={USERNAME: PASSWORD})
    plain = sink_factory(
        handler, authenticator=handler.authenticate, auth_require_tls=False
    )
    relay = SmtpRelay(plain.upstream(username=USERNAME), password=lambda: PASSWORD)

    assert relay.send(SENDER, ["a@example.net"], DATA).ok
    assert handler.logins == [("PLAIN", USERNAME, PASSWORD)]


def test_wrong_password_reports_upstream_code_and_never_shows_it(
    auth_sink: SinkServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "hunter2-wrong-password"
    relay = SmtpRelay(auth_sink.upstream(username=USERNAME), password=lambda: wrong)

    result = relay.send(SENDER, ["a@example.net"], DATA)

    (batch,) = result.batches
    assert batch.code == 535
    assert "refused the login for alice@example.com" in batch.text
    assert "5.7.8 Authentication credentials invalid" in batch.text
    assert wrong not in batch.text
    assert wrong not in caplog.text
    assert auth_sink.received == []


def test_missing_password_is_a_temporary_failure(auth_sink: SinkServer) -> None:
    relay = SmtpRelay(auth_sink.upstream(username=USERNAME), password=lambda: None)

    (batch,) = relay.send(SENDER, ["a@example.net"], DATA).batches

    assert (batch.code, batch.temporary) == (454, True)
    assert batch.text == "no password stored for alice@example.com at 127.0.0.1"
    assert auth_sink.handler.logins == []


def test_broken_password_source_is_a_temporary_failure(
    auth_sink: SinkServer, caplog: pytest.LogCaptureFixture
) -> None:
    def password() -> str:
        raise RuntimeError("keyring locked")

    relay = SmtpRelay(auth_sink.upstream(username=USERNAME), password=password)

    (batch,) = relay.send(SENDER, ["a@example.net"], DATA).batches

    assert batch.code == 454
    assert "keyring locked" in caplog.text


def test_no_auth_configured_gets_upstream_refusal(auth_sink: SinkServer) -> None:
    (batch,) = send(auth_sink, ["a@example.net"]).batches

    assert batch.code == 530
    assert "Authentication required" in batch.text


def test_xoauth2(xoauth2_sink: SinkServer) -> None:
    relay = SmtpRelay(
        xoauth2_sink.upstream(username=USERNAME, auth_mechanism="xoauth2"),
        password=lambda: TOKEN,
    )

    result = relay.send(SENDER, ["a@example.net"], DATA)

    assert result.ok
    assert xoauth2_sink.handler.logins == [("XOAUTH2", USERNAME, TOKEN)]
    assert xoauth2_sink.received == [Received(SENDER, ["a@example.net"], DATA)]


def test_xoauth2_rejected_token(xoauth2_sink: SinkServer) -> None:
    relay = SmtpRelay(
        xoauth2_sink.upstream(username=USERNAME, auth_mechanism="xoauth2"),
        password=lambda: "expired-token",
    )

    (batch,) = relay.send(SENDER, ["a@example.net"], DATA).batches

    assert batch.code == 535
    assert "Username and Password not accepted" in batch.text
    assert "expired-token" not in batch.text


# -- upstream refusals, with and without PIPELINING ---------------------------------

PIPELINING = pytest.mark.parametrize(
    "pipelining", [False, True], ids=["in-turn", "pipelined"]
)


@PIPELINING
def test_some_recipients_refused_are_reported_per_recipient(
    sink_factory: StartSink, pipelining: bool
) -> None:
    server = sink_factory(
        Sink(
            rcpt_replies={
                "gone@example.net": "550 5.1.1 No such user",
                "full@example.net": "452 4.2.2 Mailbox full",
            },
            pipelining=pipelining,
        )
    )
    rcpts = ["a@example.net", "gone@example.net", "full@example.net", "b@example.net"]

    result = send(server, rcpts)

    (batch,) = result.batches
    assert batch.ok
    assert batch.refused == {
        "gone@example.net": (550, "5.1.1 No such user"),
        "full@example.net": (452, "4.2.2 Mailbox full"),
    }
    assert result.delivered == ("a@example.net", "b@example.net")
    assert result.failed == ("gone@example.net", "full@example.net")
    assert result.partial
    assert not result.ok
    assert server.received == [
        Received(SENDER, ["a@example.net", "b@example.net"], DATA)
    ]


@PIPELINING
def test_all_recipients_refused_prefers_the_temporary_reply(
    sink_factory: StartSink, pipelining: bool
) -> None:
    server = sink_factory(
        Sink(
            rcpt_replies={
                "gone@example.net": "550 5.1.1 No such user",
                "later@example.net": "451 4.3.0 Try again later",
            },
            pipelining=pipelining,
        )
    )

    (batch,) = send(server, ["gone@example.net", "later@example.net"]).batches

    assert (batch.code, batch.text) == (451, "4.3.0 Try again later")
    assert batch.temporary
    assert len(batch.refused) == 2
    assert server.received == []


@PIPELINING
@pytest.mark.parametrize(
    ("reply", "code", "text"),
    [
        ("554 5.7.1 Message rejected as spam", 554, "5.7.1 Message rejected as spam"),
        ("451 4.7.1 Greylisted, try later", 451, "4.7.1 Greylisted, try later"),
    ],
)
def test_data_refusal_keeps_upstream_code_and_text(
    sink_factory: StartSink, reply: str, code: int, text: str, pipelining: bool
) -> None:
    server = sink_factory(Sink(data_replies=[reply], pipelining=pipelining))

    result = send(server, ["a@example.net"])

    assert [(b.code, b.text) for b in result.batches] == [(code, text)]
    assert result.failed == ("a@example.net",)
    assert result.delivered == ()


@PIPELINING
def test_sender_refusal_keeps_upstream_code_and_text(
    sink_factory: StartSink, pipelining: bool
) -> None:
    server = sink_factory(
        Sink(mail_reply="553 5.7.1 Sender not owned by user", pipelining=pipelining)
    )

    (batch,) = send(server, ["a@example.net"]).batches

    assert (batch.code, batch.text) == (553, "5.7.1 Sender not owned by user")


def test_envelope_is_pipelined_when_upstream_offers_it(
    sink_factory: StartSink,
) -> None:
    plain = sink_factory(Sink())
    pipelining = sink_factory(Sink(pipelining=True))

    assert send(plain, recipients(3)).ok
    assert send(pipelining, recipients(250), max_recipients=250).ok

    assert plain.handler.pipelined == [False]
    assert pipelining.handler.pipelined == [True]
    assert pipelining.received == [Received(SENDER, recipients(250), DATA)]


@PIPELINING
def test_a_kept_connection_carries_on_after_refusals(
    sink_factory: StartSink, pipelining: bool
) -> None:
    server = sink_factory(
        Sink(
            rcpt_replies={"gone@example.net": "550 5.1.1 No such user"},
            data_replies=["554 5.7.1 Rejected"],
            pipelining=pipelining,
        )
    )
    relay = SmtpRelay(server.upstream(), keep_alive=30)
    try:
        assert relay.send(SENDER, ["gone@example.net"], DATA).batches[0].code == 550
        assert relay.send(SENDER, ["a@example.net"], DATA).batches[0].code == 554
        assert relay.send(SENDER, ["b@example.net", "gone@example.net"], DATA).partial
    finally:
        relay.close()

    assert server.received == [Received(SENDER, ["b@example.net"], DATA)]
    assert len(set(server.handler.peers)) == 1


@PIPELINING
@pytest.mark.parametrize(
    "goodbye",
    [None, "421 4.4.2 Idle too long, closing", "451 timeout (#4.4.2)"],
    ids=["silent", "421", "451"],
)
def test_a_kept_connection_the_server_dropped_is_replaced_without_a_noop(
    sink_factory: StartSink, pipelining: bool, goodbye: str | None
) -> None:
    server = sink_factory(
        Sink(
            one_message_per_connection=goodbye is None,
            idle_goodbye=goodbye,
            pipelining=pipelining,
        )
    )
    relay = SmtpRelay(server.upstream(), keep_alive=30)
    try:
        for n in range(3):
            assert relay.send(SENDER, [f"r{n}@example.net"], DATA).ok
            wait_for(lambda n=n: server.handler.hang_ups == n + 1)
    finally:
        relay.close()

    assert [r.rcpt_tos for r in server.received] == [
        ["r0@example.net"],
        ["r1@example.net"],
        ["r2@example.net"],
    ]
    assert len(set(server.handler.peers)) == 3
    assert server.handler.noops == 0


@PIPELINING
def test_the_same_recipient_twice_all_refused_is_one_refusal(
    sink_factory: StartSink, pipelining: bool
) -> None:
    server = sink_factory(
        Sink(
            rcpt_replies={"gone@example.net": "550 5.1.1 No such user"},
            pipelining=pipelining,
        )
    )
    relay = SmtpRelay(server.upstream(), keep_alive=30)
    try:
        twice = relay.send(SENDER, ["gone@example.net", "gone@example.net"], DATA)
        after = relay.send(SENDER, ["a@example.net"], DATA)
    finally:
        relay.close()

    assert [(b.code, b.text) for b in twice.batches] == [(550, "5.1.1 No such user")]
    assert after.ok  # the connection was left clean for the next message
    assert server.received == [Received(SENDER, ["a@example.net"], DATA)]


@PIPELINING
@pytest.mark.parametrize(
    ("refusal", "code", "text"),
    [
        (
            {"mail_reply": "421 4.3.2 Shutting down"},
            421,
            "4.3.2 Shutting down",
        ),
        (
            {"rcpt_replies": {"a@example.net": "550 5.7.1 Relaying denied"}},
            550,
            "5.7.1 Relaying denied",
        ),
    ],
    ids=["mail", "rcpt"],
)
def test_a_refusal_then_hanging_up_keeps_the_servers_words(
    sink_factory: StartSink,
    pipelining: bool,
    refusal: dict[str, Any],
    code: int,
    text: str,
) -> None:
    server = sink_factory(
        Sink(**refusal, hang_up_on_refusal=True, pipelining=pipelining)
    )

    (batch,) = send(server, ["a@example.net"]).batches

    assert (batch.code, batch.text) == (code, text)


def test_a_sender_refused_on_a_kept_connection_is_asked_again_once(
    sink_factory: StartSink,
) -> None:
    server = sink_factory(Sink(mail_reply="553 5.7.1 Sender not owned by user"))
    relay = SmtpRelay(server.upstream(), keep_alive=30)
    try:
        first = relay.send(SENDER, ["a@example.net"], DATA)
        again = relay.send(SENDER, ["a@example.net"], DATA)
    finally:
        relay.close()

    assert [b.code for b in (*first.batches, *again.batches)] == [553, 553]
    assert server.received == []


def test_a_kept_connection_is_reused_without_a_noop(sink: SinkServer) -> None:
    relay = SmtpRelay(sink.upstream(), keep_alive=30)
    try:
        for n in range(3):
            assert relay.send(SENDER, [f"r{n}@example.net"], DATA).ok
    finally:
        relay.close()

    assert len(sink.received) == 3
    assert len(set(sink.handler.peers)) == 1
    assert sink.handler.noops == 0


# -- connection failures -------------------------------------------------------------


def test_connection_refused(closed_port: int) -> None:
    config = UpstreamConfig("127.0.0.1", closed_port, tls=TlsMode.NONE)

    (batch,) = SmtpRelay(config).send(SENDER, ["a@example.net"], DATA).batches

    assert batch.code == 421
    assert (
        batch.text
        == f"upstream 127.0.0.1:{closed_port} unreachable: connection refused"
    )


@pytest.mark.parametrize("tls", [TlsMode.STARTTLS, TlsMode.IMPLICIT])
def test_silent_server_times_out(silent_port: int, tls: TlsMode) -> None:
    config = UpstreamConfig("127.0.0.1", silent_port, tls=tls, timeout=1)

    started = time.monotonic()
    result = SmtpRelay(config).send(SENDER, recipients(150), DATA)
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert [b.code for b in result.batches] == [421, 421]
    assert result.batches[0].text == (
        f"upstream 127.0.0.1:{silent_port} did not answer within 1 s"
    )


def test_server_closing_after_the_final_dot_leaves_the_batch_uncertain(
    sink_factory: StartSink,
) -> None:
    # The server has the whole message when it hangs up: it may deliver it.
    server = sink_factory(Sink(drop_on_data=True))
    told: list[tuple[str, ...]] = []

    result = send_with_hook(server, ["a@example.net"], told.append)
    (batch,) = result.batches

    assert told == [("a@example.net",)]
    assert batch.code == 451 and batch.dot_sent
    assert batch.text == (
        f"upstream 127.0.0.1:{server.port} did not confirm the message after "
        f"receiving it (upstream 127.0.0.1:{server.port} closed the connection "
        "before confirming delivery): it may have been sent"
    )
    assert [o.delivery for o in result.outcomes()] == [Delivery.UNCERTAIN]


def test_a_hook_that_cannot_record_the_dot_stops_the_message(
    sink: SinkServer,
) -> None:
    def full_disk(batch: tuple[str, ...]) -> None:
        raise OSError(28, "No space left on device")

    result = send_with_hook(sink, ["a@example.net"], full_disk)

    (batch,) = result.batches
    assert sink.received == []
    assert batch.code == 451 and not batch.dot_sent
    assert "could not record" in batch.text
    assert [o.delivery for o in result.outcomes()] == [Delivery.DEFERRED]


def test_a_slow_final_reply_is_waited_for_past_the_command_timeout(
    sink_factory: StartSink,
) -> None:
    server = sink_factory(Sink(delay_final=1.5))
    config = server.upstream(timeout=0.5, final_reply_timeout=10.0)

    result = SmtpRelay(config).send(SENDER, ["a@example.net"], DATA)

    assert result.ok and len(server.received) == 1


def test_outcomes_name_each_recipient_with_the_servers_words() -> None:
    ok = BatchOutcome(
        ("a", "b", "c"), 250, "OK", {"b": (550, "no"), "c": (452, "full")}
    )
    auth = BatchOutcome(("d",), 535, "bad password", sign_in=True)

    outcomes = RelayResult((ok, auth)).outcomes()

    assert [(o.address, o.delivery, o.code) for o in outcomes] == [
        ("a", Delivery.ACCEPTED, 250),
        ("b", Delivery.REFUSED, 550),
        ("c", Delivery.DEFERRED, 452),
        ("d", Delivery.NEEDS_SIGN_IN, 535),
    ]


# -- batches --------------------------------------------------------------------------


def test_250_recipients_go_in_3_batches_once_each(sink: SinkServer) -> None:
    rcpts = recipients(250)

    result = send(sink, rcpts, max_recipients=100)

    assert [len(b.recipients) for b in result.batches] == [100, 100, 50]
    assert result.ok
    assert result.delivered == tuple(rcpts)
    assert [r.rcpt_tos for r in sink.received] == [
        rcpts[:100],
        rcpts[100:200],
        rcpts[200:],
    ]
    assert all(r.data == DATA and r.mail_from == SENDER for r in sink.received)
    assert len(set(sink.handler.peers)) == 1  # one connection for all batches


def test_reconnects_when_the_server_drops_between_batches(
    sink_factory: StartSink,
) -> None:
    server = sink_factory(Sink(one_message_per_connection=True))
    rcpts = recipients(250)

    result = send(server, rcpts, max_recipients=100)

    assert result.ok
    assert [r.rcpt_tos for r in server.received] == [
        rcpts[:100],
        rcpts[100:200],
        rcpts[200:],
    ]
    assert len(set(server.handler.peers)) == 3


def test_a_batch_failing_midway_is_reported_per_batch(sink_factory: StartSink) -> None:
    server = sink_factory(Sink(data_replies=[None, "452 4.5.3 Too many recipients"]))
    rcpts = recipients(250)

    result = send(server, rcpts, max_recipients=100)

    assert [(b.code, b.ok) for b in result.batches] == [
        (250, True),
        (452, False),
        (250, True),
    ]
    assert result.batches[1].text == "4.5.3 Too many recipients"
    assert result.partial
    assert result.failed == tuple(rcpts[100:200])
    assert result.delivered == tuple(rcpts[:100] + rcpts[200:])
    assert [r.rcpt_tos for r in server.received] == [rcpts[:100], rcpts[200:]]


# -- SMTPUTF8 and 8BITMIME ----------------------------------------------------------


def test_smtputf8_when_upstream_has_it(sink: SinkServer) -> None:
    relay = SmtpRelay(sink.upstream())

    result = relay.send("chef@exämple.de", ["jürgen@exämple.de"], DATA, eight_bit=True)

    assert result.ok
    assert sink.received == [Received("chef@exämple.de", ["jürgen@exämple.de"], DATA)]
    assert "SMTPUTF8" in sink.handler.mail_options[0]
    assert "BODY=8BITMIME" in sink.handler.mail_options[0]


def test_smtputf8_needed_but_missing_is_permanent(sink_factory: StartSink) -> None:
    server = sink_factory(enable_SMTPUTF8=False)

    (batch,) = (
        SmtpRelay(server.upstream())
        .send(SENDER, ["a@example.net"], DATA, smtputf8=True)
        .batches
    )

    assert batch.code == 553
    assert "does not support SMTPUTF8" in batch.text
    assert server.received == []


def test_plain_ascii_message_asks_for_nothing_extra(sink: SinkServer) -> None:
    send(sink, ["a@example.net"])

    assert sink.handler.mail_options == [[f"SIZE={len(DATA)}"]]


# -- configuration and results ---------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "::1", "[::1]", "localhost", "LOCALHOST."]
)
def test_no_tls_allowed_on_loopback(host: str) -> None:
    assert is_loopback_host(host)
    UpstreamConfig(host, 25, tls=TlsMode.NONE)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"host": "smtp.example.com", "tls": TlsMode.NONE}, "upstream.tls"),
        ({"host": "10.0.0.1", "tls": TlsMode.NONE}, "upstream.tls"),
        ({"port": 0}, "upstream.port"),
        ({"max_recipients": 0}, "upstream.max_recipients"),
        ({"timeout": 0}, "upstream.timeout"),
        ({"auth_mechanism": "cram-md5"}, "upstream.auth_mechanism"),
        ({"auth_mechanism": "xoauth2"}, "upstream.username"),
    ],
)
def test_bad_config_is_refused(settings: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"host": "smtp.example.com", "port": 587}
    values.update(settings)
    with pytest.raises(RelayConfigError, match=re.escape(message)):
        UpstreamConfig(**values)  # type: ignore[arg-type]


def test_username_needs_a_password_source() -> None:
    with pytest.raises(RelayConfigError, match="no password source"):
        SmtpRelay(UpstreamConfig("smtp.example.com", 587, username=USERNAME))


def test_unreadable_ca_file_is_a_config_error() -> None:
    with pytest.raises(RelayConfigError, match=r"upstream\.ca_file"):
        SmtpRelay(UpstreamConfig("smtp.example.com", 587, ca_file="missing-ca.pem"))


def test_no_recipients_is_a_programming_error(sink: SinkServer) -> None:
    with pytest.raises(ValueError, match="no recipients"):
        SmtpRelay(sink.upstream()).send(SENDER, [], DATA)


def test_result_properties() -> None:
    ok = BatchOutcome(("a", "b"), 250, "OK", {"b": (550, "no")})
    later = BatchOutcome(("c",), 451, "later")

    result = RelayResult((ok, later))

    assert result.delivered == ("a",)
    assert result.failed == ("b", "c")
    assert result.failures == (later,)
    assert result.partial and not result.ok
    assert later.temporary and not later.ok
    assert RelayResult((BatchOutcome(("a",), 250, "OK"),)).ok
    assert not RelayResult(()).ok


# -- streaming DATA ---------------------------------------------------------------


@pytest.mark.parametrize("piece", [1, 7, 64, 1 << 20])
def test_data_is_streamed_in_pieces_with_dots_stuffed(
    sink: SinkServer, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    from bccguard.adapters import smtp_transaction

    monkeypatch.setattr(smtp_transaction, "_DATA_PIECE", piece)
    body = b"".join(
        b".line %d starts with a dot\r\n..two dots\r\nplain %d\r\n" % (i, i)
        for i in range(200)
    )
    data = b"From: a@example.org\r\nTo: b@example.net\r\n\r\n" + body + b"."
    result = SmtpRelay(sink.upstream()).send(SENDER, ["b@example.net"], data)
    assert result.ok
    assert sink.received[0].data == data + b"\r\n"  # a final line break is added


def test_unreachable_says_why_only_when_no_session_could_be_made(
    sink: SinkServer,
) -> None:
    gone = SmtpRelay(UpstreamConfig(host="127.0.0.1", port=1, tls=TlsMode.NONE))
    down = gone.send(SENDER, ["a@example.net"], DATA)
    assert "connection refused" in down.unreachable
    sink.handler.rcpt_replies = {"a@example.net": "550 5.1.1 no such user"}
    refused = SmtpRelay(sink.upstream()).send(SENDER, ["a@example.net"], DATA)
    assert not refused.ok and refused.unreachable == ""
