"""The guard end to end: real SMTP clients -> proxy -> real aiosmtpd upstream."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from email.utils import make_msgid

import pytest

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.adapters.smtp_relay import TlsMode, UpstreamConfig
from bccguard.core.decision_proof import HEADER, make_proof, proof_key
from bccguard.core.held import HeldState, Resolution
from bccguard.core.incidents import IncidentKind
from bccguard.core.settings import DeliverySettings, PolicySettings, Settings
from bccguard.events import GuardState, MessageHeld, StateChanged
from bccguard.service import Guard
from tests.smtp_sink import SinkServer
from tests.support import EventLog, GuardFactory


def mass_mail(
    count: int, *, sender: str = "me@sender.example", msgid: str = ""
) -> bytes:
    to = ",\r\n ".join(f"Person {i} <p{i}@d{i % 7}.example>" for i in range(count))
    return (
        f"From: Me <{sender}>\r\nTo: {to}\r\nSubject: greetings\r\n"
        f"Message-ID: {msgid or make_msgid()}\r\n\r\nHello all\r\n"
    ).encode()


def recipients(count: int) -> list[str]:
    return [f"p{i}@d{i % 7}.example" for i in range(count)]


def submit(
    guard: Guard,
    data: bytes,
    rcpts: list[str],
    *,
    secret: str | None = None,
    sender: str = "me@sender.example",
) -> tuple[int, str]:
    """Send like a mail client; the proxy's reply to DATA."""
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=30) as client:
        client.login("anyone", secret if secret is not None else guard.local_secret)
        client.ehlo()
        client.mail(sender)
        for rcpt in rcpts:
            client.rcpt(rcpt)
        code, text = client.data(data)
    return code, text.decode()


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_passing_message_is_relayed_byte_for_byte_but_for_bare_line_ends(
    guard: Guard, upstream: SinkServer
) -> None:
    data = (
        b"From: me@sender.example\r\nTo: a@x.example, b@y.example\r\n\r\n"
        b"hi\x00 there\nbare lf\r\n"
    )
    code, _ = submit(guard, data, ["a@x.example", "b@y.example", "hidden@z.example"])
    assert code == 250
    assert len(upstream.received) == 1
    got = upstream.received[0]
    assert got.data == data.replace(b"there\nbare", b"there\r\nbare")
    assert got.rcpt_tos == ["a@x.example", "b@y.example", "hidden@z.example"]


def test_upstream_refusal_reaches_the_client(
    guard: Guard, upstream: SinkServer
) -> None:
    upstream.handler.reply = "554 5.7.1 upstream says no thanks"
    code, text = submit(guard, b"To: a@x.example\r\n\r\nhi\r\n", ["a@x.example"])
    assert code == 554
    assert "upstream says no thanks" in text


def test_upstream_down_is_a_temporary_failure(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard()
    upstream.port = 1  # nothing listens there
    guard.relays.redirect(upstream.upstream())
    code, text = submit(guard, b"To: a@x.example\r\n\r\nhi\r\n", ["a@x.example"])
    assert 400 <= code < 500, text


def test_held_message_is_stored_before_the_user_is_asked(guard: Guard) -> None:
    seen_on_disk: list[bool] = []
    events = guard.events
    assert isinstance(events, EventLog)

    original = events.emit

    def emit(event):  # the store must already have it when the event fires
        if isinstance(event, MessageHeld):
            seen_on_disk.append(guard.store.get(event.held.id) is not None)
            guard.decide(event.held.id, Resolution.DISCARD)
        original(event)

    events.emit = emit  # type: ignore[method-assign]
    code, text = submit(guard, mass_mail(30), recipients(30))
    assert seen_on_disk == [True]
    assert code == 550 and text.startswith("5.7.1")


def decide_when_held(guard: Guard, resolution: Resolution) -> threading.Thread:
    def run() -> None:
        wait_for(lambda: any(h.state is HeldState.WAITING for h in guard.store.all()))
        held = next(h for h in guard.store.all() if h.state is HeldState.WAITING)
        guard.decide(held.id, resolution).result(30)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_convert_in_time_relays_without_visible_recipients(
    guard: Guard, upstream: SinkServer
) -> None:
    rcpts = recipients(30)
    data = mass_mail(30)
    thread = decide_when_held(guard, Resolution.BCC)
    code, _ = submit(guard, data, rcpts)
    thread.join()
    assert code == 250
    assert len(upstream.received) == 1
    sent = upstream.received[0]
    assert sent.rcpt_tos == rcpts
    header, _, body = sent.data.partition(b"\r\n\r\n")
    assert b"p0@d0.example" not in header
    assert b"\r\nBcc:" not in header and not header.startswith(b"Bcc:")
    assert b"To: Me <me@sender.example>" in header
    assert body == data.partition(b"\r\n\r\n")[2]


def test_send_as_is_relays_the_original(guard: Guard, upstream: SinkServer) -> None:
    data = mass_mail(30)
    thread = decide_when_held(guard, Resolution.AS_IS)
    code, _ = submit(guard, data, recipients(30))
    thread.join()
    assert code == 250
    assert upstream.received[0].data == data


def test_undecided_message_waits_and_is_sent_exactly_once(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard(decision_timeout=1.0)
    data = mass_mail(30)
    code, text = submit(guard, data, recipients(30))
    assert code == 451
    assert "waits in BccGuard" in text
    held = guard.store.all()
    assert len(held) == 1 and held[0].state is HeldState.WAITING
    # The client retries before the user decides: still one held entry.
    code, _ = submit(guard, data, recipients(30))
    assert code == 451
    assert len(guard.store.all()) == 1
    done = guard.decide(held[0].id, Resolution.BCC).result(30)
    assert done.state is HeldState.SENT
    # The client retries after the release: told it is sent, nothing sent twice.
    code, text = submit(guard, data, recipients(30))
    assert code == 250 and "Already sent" in text
    assert len(upstream.received) == 1
    with pytest.raises(Exception, match="already sent"):
        guard.decide(held[0].id, Resolution.AS_IS).result(30)


def test_automatic_conversion_policy(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard(Settings(policy=PolicySettings(action="convert")))
    code, _ = submit(guard, mass_mail(30), recipients(30))
    assert code == 250
    assert b"p1@d1.example" not in upstream.received[0].data.partition(b"\r\n\r\n")[0]


def test_block_policy_refuses(make_guard: GuardFactory, upstream: SinkServer) -> None:
    guard = make_guard(Settings(policy=PolicySettings(action="block")))
    code, text = submit(guard, mass_mail(30), recipients(30))
    assert code == 550
    assert "policy blocks" in text and "30 recipients" in text
    assert upstream.received == []


def test_state_tells_when_attention_is_needed(make_guard: GuardFactory) -> None:
    guard = make_guard(decision_timeout=1.0)
    submit(guard, mass_mail(30), recipients(30))
    assert guard.state is GuardState.ATTENTION
    held = guard.store.all()[0]
    guard.decide(held.id, Resolution.DISCARD).result(30)
    assert guard.state is GuardState.GUARDING
    states = [e.state for e in guard.events.of(StateChanged)]  # type: ignore[attr-defined]
    assert GuardState.ATTENTION in states


def test_pause_lets_everything_pass(guard: Guard, upstream: SinkServer) -> None:
    guard.pause(60)
    assert guard.state is GuardState.PAUSED
    code, _ = submit(guard, mass_mail(30), recipients(30))
    assert code == 250 and len(upstream.received) == 1
    guard.pause(0)
    assert guard.state is GuardState.GUARDING


def test_no_auth_is_refused(guard: Guard, upstream: SinkServer) -> None:
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail(
                "me@x.example", ["a@x.example"], b"To: a@x.example\r\n\r\nhi\r\n"
            )
        assert refused.value.smtp_code == 530
    assert upstream.received == []


def test_wrong_secret_is_refused(guard: Guard, upstream: SinkServer) -> None:
    with pytest.raises(smtplib.SMTPAuthenticationError):
        submit(guard, b"To: a@x.example\r\n\r\nhi\r\n", ["a@x.example"], secret="guess")
    assert upstream.received == []


def test_listens_on_loopback_only(guard: Guard) -> None:
    server = guard.proxy._controller.server
    assert server is not None
    hosts = {sock.getsockname()[0] for sock in server.sockets}
    assert hosts == {"127.0.0.1"}


def test_extensions_are_advertised(guard: Guard) -> None:
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size")
        assert client.has_extn("8bitmime")
        assert client.has_extn("smtputf8")
        assert client.has_extn("auth")


def test_client_vanishing_mid_data_relays_nothing(
    guard: Guard, upstream: SinkServer
) -> None:
    with socket.create_connection(("127.0.0.1", guard.proxy.port), timeout=10) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        import base64

        auth = base64.b64encode(f"\0me\0{guard.local_secret}".encode()).decode()
        for line in (
            "EHLO test",
            f"AUTH PLAIN {auth}",
            "MAIL FROM:<me@x.example>",
            "RCPT TO:<a@x.example>",
            "DATA",
        ):
            sock.sendall(line.encode() + b"\r\n")
            reply = reader.readline()
            while reply[3:4] == b"-":
                reply = reader.readline()
        sock.sendall(b"To: a@x.example\r\nSubject: half\r\n\r\nthe first half of")
    time.sleep(0.5)
    assert upstream.received == []


def test_many_concurrent_clients_each_message_once(
    guard: Guard, upstream: SinkServer
) -> None:
    errors: list[str] = []
    ids: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=60) as smtp:
                smtp.login("me", guard.local_secret)
                for i in range(20):
                    msgid = f"<c{n}-m{i}@load.example>"
                    data = (
                        f"From: me@x.example\r\nTo: a{n}@x.example\r\n"
                        f"Message-ID: {msgid}\r\n\r\nbody {n} {i}\r\n"
                    ).encode()
                    smtp.sendmail("me@x.example", [f"a{n}@x.example"], data)
                    with lock:
                        ids.append(msgid)
        except Exception as error:  # collected and asserted below
            errors.append(repr(error))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seen = [
        r.data.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
        for r in upstream.received
    ]
    assert sorted(seen) == sorted(ids)
    assert len(set(seen)) == 50 * 20


def test_five_thousand_recipients_in_batches(
    guard: Guard, upstream: SinkServer
) -> None:
    rcpts = [f"r{i}@bulk{i % 50}.example" for i in range(5000)]
    data = b"From: me@x.example\r\nTo: undisclosed-recipients:;\r\n\r\nnewsletter\r\n"
    code, text = submit(guard, data, rcpts)
    assert code == 250, text
    delivered = [r for got in upstream.received for r in got.rcpt_tos]
    assert sorted(delivered) == sorted(rcpts)
    assert all(len(got.rcpt_tos) <= 100 for got in upstream.received)


def test_one_megabyte_header_block_is_held(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard(decision_timeout=1.0)
    data = mass_mail(30_000)
    assert len(data) > 1_000_000
    code, text = submit(guard, data, ["one@x.example"])
    assert code == 451, text
    held = guard.store.all()[0]
    assert held.visible_count == 30_000
    assert guard.store.data(held.id) == data


@pytest.mark.parametrize(
    ("resolution", "kind"),
    [
        (Resolution.BCC, IncidentKind.CONVERTED),
        (Resolution.AS_IS, IncidentKind.SENT_AS_IS),
        (Resolution.DISCARD, IncidentKind.DISCARDED),
    ],
)
def test_every_hold_and_decision_is_recorded(
    make_guard: GuardFactory, tmp_path, resolution: Resolution, kind: IncidentKind
) -> None:
    log = SqliteIncidentLog(tmp_path / "incidents.sqlite3")
    guard = make_guard(incidents=log)
    thread = decide_when_held(guard, resolution)
    submit(guard, mass_mail(30), recipients(30))
    thread.join()
    incidents = log.list()
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.kind is kind
    assert incident.exposed_count == 30
    assert incident.held_id == guard.store.all()[0].id
    assert [a.action for a in incident.actions][-1] == resolution.value


def test_upstream_refusing_every_recipient_reaches_the_client(
    guard: Guard, upstream: SinkServer
) -> None:
    upstream.handler.rcpt_replies = {"a@x.example": "450 4.2.1 mailbox busy, try later"}
    code, text = submit(guard, b"To: a@x.example\r\n\r\nhi\r\n", ["a@x.example"])
    assert code == 450
    assert "mailbox busy" in text
    assert upstream.received == []


def test_upstream_refusing_some_recipients_says_so(
    guard: Guard, upstream: SinkServer
) -> None:
    upstream.handler.rcpt_replies = {"b@y.example": "550 5.1.1 no such user"}
    data = b"To: a@x.example, b@y.example\r\n\r\nhi\r\n"
    code, text = submit(guard, data, ["a@x.example", "b@y.example"])
    assert code == 250
    assert "not sent to b@y.example (550 5.1.1 no such user)" in text
    assert [r.rcpt_tos for r in upstream.received] == [["a@x.example"]]
    (kept,) = guard.held_messages()  # named to the user, nothing silent
    assert kept.state is HeldState.PARTLY_SENT and kept.delivered == ("a@x.example",)
    assert [(r.address, r.code) for r in kept.refused] == [("b@y.example", 550)]


def test_upstream_hanging_up_after_the_final_dot_leaves_it_to_the_user(
    guard: Guard, upstream: SinkServer
) -> None:
    # The server has the message and hangs up before saying so: it may deliver it.
    upstream.handler.drop_on_data = True
    data = b"To: a@x.example\r\nMessage-ID: <dot@x.example>\r\n\r\nhi\r\n"
    code, text = submit(guard, data, ["a@x.example"])
    assert code == 250 and "decide in BccGuard" in text
    (kept,) = guard.held_messages()
    assert kept.state is HeldState.UNCERTAIN and kept.uncertain == ("a@x.example",)
    # The mail program's retry is recognised: no second relay.
    upstream.handler.drop_on_data = False
    code, _ = submit(guard, data, ["a@x.example"])
    assert code == 250 and upstream.received == []
    assert guard.decide(kept.id, Resolution.WENT_OUT).result(10).state is (
        HeldState.SENT
    )
    assert upstream.received == []


def proven(guard: Guard, data: bytes, *, addresses: list[str] | None = None) -> bytes:
    """``data`` with Thunderbird's "send as is" proof for its visible recipients."""
    visible = addresses if addresses is not None else recipients(30)
    value = make_proof(proof_key(guard.local_secret), visible, time.time())
    return f"{HEADER}: {value}\r\n".encode() + data


def test_send_as_is_chosen_in_thunderbird_is_not_asked_again(
    make_guard: GuardFactory, upstream: SinkServer, tmp_path
) -> None:
    log = SqliteIncidentLog(tmp_path / "incidents.sqlite3")
    guard = make_guard(incidents=log)
    data = mass_mail(30)
    code, _ = submit(guard, proven(guard, data), recipients(30))
    assert code == 250
    assert guard.store.all() == []  # not held
    assert upstream.received[0].data == data  # the proof never leaves
    (incident,) = log.list()
    assert incident.kind is IncidentKind.SENT_AS_IS
    assert "Thunderbird" in incident.notes


@pytest.mark.parametrize(
    "forged",
    [
        lambda g, d: proven(g, d, addresses=recipients(29)),  # for another message
        lambda g, d: f"{HEADER}: v1; as-is; t=1; mac={'0' * 64}\r\n".encode() + d,
        lambda g, d: (
            f"{HEADER}: ".encode()
            + make_proof(proof_key("guess"), recipients(30), time.time()).encode()
            + b"\r\n"
            + d
        ),
    ],
)
def test_a_proof_that_does_not_verify_is_ignored_and_removed(
    make_guard: GuardFactory, upstream: SinkServer, forged
) -> None:
    guard = make_guard(decision_timeout=1.0)
    code, _ = submit(guard, forged(guard, mass_mail(30)), recipients(30))
    assert code == 451  # held as usual
    (held,) = guard.store.all()
    assert HEADER.encode() not in guard.store.data(held.id)


def test_a_proof_on_a_passing_message_is_removed(
    guard: Guard, upstream: SinkServer
) -> None:
    data = b"From: me@x.example\r\nTo: a@x.example\r\n\r\nhi\r\n"
    code, _ = submit(
        guard, proven(guard, data, addresses=["a@x.example"]), ["a@x.example"]
    )
    assert code == 250
    assert upstream.received[0].data == data


def test_an_unreachable_upstream_shows_in_the_state_until_it_is_back(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard()
    reachable = upstream.upstream()
    guard.relays.redirect(UpstreamConfig(host="127.0.0.1", port=1, tls=TlsMode.NONE))
    code, _ = submit(guard, b"To: a@x.example\r\n\r\nhi\r\n", ["a@x.example"])
    assert code == 421
    assert guard.state is GuardState.ERROR
    last = guard.events.of(StateChanged)[-1]  # type: ignore[attr-defined]
    assert "unreachable" in last.detail
    guard.relays.redirect(reachable)
    code, _ = submit(guard, b"To: a@x.example\r\n\r\nhi\r\n", ["a@x.example"])
    assert code == 250
    assert guard.state is GuardState.GUARDING


def test_dot_stuffed_lines_arrive_as_written(
    guard: Guard, upstream: SinkServer
) -> None:
    data = (
        b"From: me@x.example\r\nTo: a@x.example\r\n\r\n"
        b".a line with one dot\r\n..two dots\r\n.\r\n...\r\nend\r\n"
    )
    code, _ = submit(guard, data, ["a@x.example"])  # smtplib stuffs, the proxy unstuffs
    assert code == 250
    assert upstream.received[0].data == data


def test_too_much_data_is_refused_and_the_session_goes_on(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    guard = make_guard()
    guard.proxy._controller.SMTP_kwargs["data_size_limit"] = 4096
    big = b"To: a@x.example\r\n\r\n" + b"x" * 70 + b"\r\n"
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=30) as client:
        client.login("me", guard.local_secret)
        client.ehlo()
        client.mail("me@x.example")
        client.rcpt("a@x.example")
        code, _ = client.data(big * 100)
        assert code == 552
        client.mail("me@x.example")
        client.rcpt("a@x.example")
        code, _ = client.data(big)
        assert code == 250
    assert [r.data for r in upstream.received] == [big]


def test_an_overlong_line_is_refused(guard: Guard, upstream: SinkServer) -> None:
    data = b"To: a@x.example\r\n\r\n" + b"y" * 5000 + b"\r\nend\r\n"
    with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=30) as client:
        client.login("me", guard.local_secret)
        client.ehlo()
        client.mail("me@x.example")
        client.rcpt("a@x.example")
        code, _ = client.data(data)
    assert code == 500
    assert upstream.received == []


def test_stopping_cuts_a_slow_server_short_and_the_message_is_not_lost(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    # A release whose server takes long to confirm must not keep the app from
    # quitting; its record says the dot went, so the next start asks the user.
    upstream.handler.delay_final = 60.0
    guard = make_guard(decision_timeout=1.0)
    code, _ = submit(guard, mass_mail(30), recipients(30))
    assert code == 451  # waits for the user
    guard.decide(guard.held_messages()[0].id, Resolution.BCC)
    wait_for(lambda: len(upstream.received) == 1)  # the server has it
    started = time.monotonic()
    guard.stop()
    assert time.monotonic() - started < 10
    upstream.handler.delay_final = 0.0
    again = make_guard()
    (kept,) = again.held_messages()
    assert kept.state is HeldState.UNCERTAIN
    assert len(kept.uncertain) == 30 and len(upstream.received) == 1


def test_the_same_message_sent_again_while_on_its_way_is_relayed_once(
    make_guard: GuardFactory, upstream: SinkServer
) -> None:
    # Two connections with the same message (a client that gave up and retried):
    # the second waits for the first's outcome instead of relaying a second copy.
    upstream.handler.delay_final = 1.5
    guard = make_guard(Settings(delivery=DeliverySettings(take_over_after=30.0)))
    data = b"To: a@x.example\r\nMessage-ID: <twice@x.example>\r\n\r\nhi\r\n"
    first: list[tuple[int, str]] = []
    sender = threading.Thread(
        target=lambda: first.append(submit(guard, data, ["a@x.example"]))
    )
    sender.start()
    wait_for(lambda: len(upstream.received) == 1)  # the server has it, not confirmed
    second = submit(guard, data, ["a@x.example"])
    sender.join()
    assert first[0][0] == 250 and second[0] == 250
    assert len(upstream.received) == 1


def test_a_mail_program_waiting_on_a_held_message_is_answered_when_bccguard_stops(
    make_guard: GuardFactory,
) -> None:
    guard = make_guard(decision_timeout=30.0)
    answers: list[tuple[int, str]] = []
    client = threading.Thread(
        target=lambda: answers.append(submit(guard, mass_mail(30), recipients(30)))
    )
    client.start()
    wait_for(lambda: bool(guard.engine._waiters))  # the client waits for the user
    guard.stop()
    client.join(10)
    assert answers and answers[0][0] == 421
    assert "waits in BccGuard" in answers[0][1]
