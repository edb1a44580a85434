"""The hold engine's promises against real peers: a real ``bccguard serve``, real
clients (smtplib, swaks), a scriptable aiosmtpd upstream that is slow or breaks at
each phase of a transaction, and ``kill -9`` of serve in the middle of it.

What every test checks in the end: no recipient ever gets a message twice, and
after the user's choice (or by itself) each gets it exactly once; a message nobody
got is named to the user (``held list --json``), never lost in silence.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fault_upstream import (
    Account,
    Mail,
    Reply,
    ServeProcess,
    has_bcc_field,
    header_of,
    mass_mail,
    running_sink,
    serving,
    small_mail,
    submit,
    swaks_command,
)
from tests.smtp_sink import Sink, SinkServer
from tests.support import wait_for

pytestmark = pytest.mark.slow
SENDER = "you@bccguard-demo.example"
SWAKS = shutil.which("swaks")
FINAL = ("sent", "partly-sent", "failed", "discarded")
# The sink's event that says serve has reached a phase of the transaction.
PHASE_EVENT = {"rcpt": "rcpt", "data": "data", "dot": "kept"}


@pytest.fixture
def serve(tmp_path: Path, sink: SinkServer) -> Iterator[ServeProcess]:
    server = ServeProcess(tmp_path / "home", [Account("test", SENDER, sink.port)])
    with serving(server, sink):
        yield server


def slow_down(handler: Sink, phase: str, seconds: float = 60.0) -> None:
    """Make the upstream stall at ``phase``: before answering RCPT, before the
    354 of DATA, or after it kept the message and before it confirms the dot."""
    if phase == "rcpt":
        handler.delay_rcpt = seconds
    elif phase == "data":
        handler.delay_data = seconds
    else:
        handler.delay_final = seconds


def assert_at_most_once(sink: SinkServer, recipients: Sequence[str]) -> None:
    copies = sink.handler.copies()
    twice = {r: copies[r] for r in recipients if copies[r] > 1}
    assert not twice, f"recipients who got it more than once: {twice}"


def assert_exactly_once(sink: SinkServer, recipients: Sequence[str]) -> None:
    copies = sink.handler.copies()
    wrong = {r: copies[r] for r in recipients if copies[r] != 1}
    assert not wrong, f"recipients without exactly one copy (address: copies): {wrong}"


def of(mail: Mail, *states: str) -> Any:
    """A predicate for `ServeProcess.wait_record`: this message, in one of these."""

    def match(record: dict[str, Any]) -> bool:
        return record.get("message_id") == mail.message_id and (
            not states or record["state"] in states
        )

    return match


def settle(serve: ServeProcess, mail: Mail, timeout: float = 30.0) -> None:
    """Until no record of ``mail`` is still on its way (queued or sending)."""
    wait_for(
        lambda: (
            not [
                r
                for r in serve.held()
                if of(mail)(r) and r["state"] in ("queued", "sending")
            ]
        ),
        timeout=timeout,
    )


def hold(
    serve: ServeProcess, clients: ThreadPoolExecutor, secret: str, mail: Mail
) -> tuple[Future[Reply], dict[str, Any]]:
    """Submit ``mail`` (held by the policy) from a client that waits for the
    decision; its record once it waits."""
    client = clients.submit(submit, serve.port, secret, mail, timeout=90)
    record = serve.wait_record(of(mail, "waiting"), f"waiting for {mail.message_id}")
    return client, record


# -- (a) kill -9 during a release -----------------------------------------------


@pytest.mark.parametrize("phase", ["rcpt", "data", "dot"])
def test_a_release_killed_at_each_phase_ends_with_one_copy_each(
    serve: ServeProcess, sink: SinkServer, phase: str
) -> None:
    secret = serve.secret()
    mail = mass_mail(SENDER, 12, tag=f"release-{phase}-")
    with ThreadPoolExecutor(1) as clients:
        client, record = hold(serve, clients, secret, mail)
        slow_down(sink.handler, phase)
        release = serve.cli_background("held", "release", record["id"], "--bcc")
        sink.handler.wait_phase(PHASE_EVENT[phase])
        serve.kill()
        release.communicate(timeout=60)
        assert not client.result(timeout=60).ok  # never told "sent": it keeps a copy
    assert_at_most_once(sink, mail.recipients)
    sink.handler.calm()
    serve.start()

    if phase == "dot":
        # The dot went and the reply did not come back: it may have gone out.
        found = serve.wait_record(of(mail, "uncertain"), "uncertain after the kill")
        assert sorted(found["uncertain"]) == sorted(mail.recipients)
        assert_at_most_once(sink, mail.recipients)
        went = serve.cli("held", "went-out", record["id"])
        assert went.returncode == 0, went.stdout + went.stderr
    # Before the dot: resumed by itself, without anyone asking.
    done = serve.wait_record(of(mail, *FINAL), "settled after the restart")
    assert done["state"] == "sent", done
    assert_exactly_once(sink, mail.recipients)
    assert sorted(done["delivered"]) == sorted(mail.recipients)


def test_a_release_killed_then_discarded_sends_nothing(
    serve: ServeProcess, sink: SinkServer
) -> None:
    secret = serve.secret()
    mail = mass_mail(SENDER, 8, tag="discard-")
    with ThreadPoolExecutor(1) as clients:
        client, record = hold(serve, clients, secret, mail)
        sink.handler.delay_rcpt = 60.0
        release = serve.cli_background("held", "release", record["id"], "--bcc")
        sink.handler.wait_phase("rcpt")
        serve.kill()
        release.communicate(timeout=60)
        client.result(timeout=60)
    sink.handler.calm()
    # After the restart the server refuses for now: the message waits for its
    # next attempt, and the user changes their mind.
    sink.handler.rcpt_replies = dict.fromkeys(
        mail.recipients, "451 4.3.2 not accepting mail right now"
    )
    serve.start()
    answers: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        discard = serve.cli("held", "discard", record["id"])
        answers.append(f"{discard.returncode}: {discard.stdout}{discard.stderr}")
        if discard.returncode == 0:
            break
        # Only an attempt under way may make it wait (it is retried soon).
        assert "sending" in discard.stdout + discard.stderr, answers
        time.sleep(0.2)
    assert answers and answers[-1].startswith("0:"), answers
    sink.handler.rcpt_replies = {}  # the server is well again: nothing goes out
    assert (serve.record(record["id"]) or {}).get("state") == "discarded"
    again = submit(serve.port, secret, mail, timeout=30)  # the client tries again
    assert not again.ok, again
    assert sink.handler.copies().total() == 0
    assert not sink.received


@pytest.mark.parametrize("phase", ["rcpt", "data", "dot"])
def test_a_pass_through_killed_at_each_phase_is_never_sent_twice(
    serve: ServeProcess, sink: SinkServer, phase: str
) -> None:
    secret = serve.secret()
    mail = small_mail(
        SENDER,
        ["one@x.test"],
        hidden=[f"pass{i}@y.test" for i in range(3)],
        tag=f"pass-{phase}",
    )
    slow_down(sink.handler, phase)
    with ThreadPoolExecutor(1) as clients:
        client = clients.submit(submit, serve.port, secret, mail, timeout=60)
        sink.handler.wait_phase(PHASE_EVENT[phase])
        serve.kill()
        first = client.result(timeout=60)
    assert not first.ok, first  # BccGuard died first: the client was not told "sent"
    sink.handler.calm()
    serve.start()
    records = serve.held()
    assert not [r for r in records if r["state"] == "sending"], records

    if phase == "dot":
        # Upstream has it, the client does not know: it sends it again. That
        # must not make a second copy: BccGuard knows it may have gone out.
        submit(serve.port, secret, mail, timeout=30)
        assert_at_most_once(sink, mail.recipients)
        found = serve.wait_record(of(mail, "uncertain"), "uncertain after the kill")
        assert serve.cli("held", "went-out", found["id"]).returncode == 0
        again = submit(serve.port, secret, mail, timeout=30)
        assert again.ok, again
    else:
        # Nothing went: the client sends it again, and it goes once.
        retry = submit(serve.port, secret, mail, timeout=30)
        assert retry.ok, retry
    assert_exactly_once(sink, mail.recipients)


@pytest.mark.parametrize("phase", ["rcpt", "dot"])
def test_a_pass_through_taken_on_survives_kill_9(
    serve: ServeProcess, sink: SinkServer, phase: str
) -> None:
    secret = serve.secret()
    mail = small_mail(
        SENDER, ["one@x.test"], hidden=["two@y.test"], tag=f"taken-{phase}"
    )
    slow_down(sink.handler, phase)
    first = submit(serve.port, secret, mail, timeout=20)
    # take_over_after = 2 s: durable first, then 250 for the client.
    assert first.ok and first.seconds < 15, first
    serve.wait_record(of(mail), "for the message taken on")
    serve.kill()
    sink.handler.calm()
    serve.start()
    if phase == "dot":
        found = serve.wait_record(of(mail, "uncertain"), "uncertain after the kill")
        assert found["origin"] == "passed"
        assert_at_most_once(sink, mail.recipients)
        assert serve.cli("held", "went-out", found["id"]).returncode == 0
    done = serve.wait_record(of(mail, *FINAL), "settled after the restart")
    assert done["state"] == "sent", done
    assert done["origin"] == "passed"
    assert_exactly_once(sink, mail.recipients)


# -- (b) a slow upstream makes no duplicates ------------------------------------


def test_a_slow_final_reply_gives_one_copy_and_a_retry_gets_the_result(
    serve: ServeProcess, sink: SinkServer
) -> None:
    secret = serve.secret()
    mail = small_mail(SENDER, ["one@x.test"], hidden=["two@y.test"], tag="slow")
    sink.handler.delay_final = 31.0  # past today's 30 s command timeout
    first = submit(serve.port, secret, mail, timeout=45)
    # The client (which may not have seen a 250, or did and lost it) sends again
    # while upstream still has not confirmed.
    retry = submit(serve.port, secret, mail, timeout=15)
    sink.handler.calm()
    settle(serve, mail)
    assert_exactly_once(sink, mail.recipients)
    assert first.ok and first.seconds < 15, first  # taken on after 2 s
    # The result, not a second relay, and at once: the message is taken on, so
    # the retry must not wait for the slow server (it may take 10 minutes).
    assert retry.ok and retry.seconds < 10, f"the client's retry got {retry}"
    done = serve.wait_record(of(mail, *FINAL), "settled")
    assert done["state"] == "sent" and done["origin"] == "passed", done


# -- (c) a partial failure drops nobody -----------------------------------------


def test_a_partial_failure_is_retried_and_the_refused_are_named(
    serve: ServeProcess, sink: SinkServer
) -> None:
    secret = serve.secret()
    mail = mass_mail(SENDER, 150, tag="big")
    bad = mail.recipients[7]
    later = mail.recipients[100:150]  # the second batch of 100
    sink.handler.rcpt_replies = {bad: f"550 5.1.1 <{bad}>: no such user"}
    sink.handler.rcpt_sequences = {
        address: ["451 4.2.1 mailbox busy, try later"] * 2 for address in later
    }
    with ThreadPoolExecutor(1) as clients:
        client, record = hold(serve, clients, secret, mail)
        serve.cli("held", "release", record["id"], "--bcc")
        done = serve.wait_record(of(mail, *FINAL), "settled", timeout=90)
        client.result(timeout=90)
    good = [r for r in mail.recipients if r != bad]
    assert_exactly_once(sink, good)
    assert sink.handler.copies()[bad] == 0
    asked = [a for a, _ in sink.handler.rcpt_log]
    assert all(asked.count(a) >= 3 for a in later)  # 451, 451, then accepted
    assert done["state"] == "partly-sent", done
    assert [r[:2] for r in done["refused"]] == [[bad, 550]]
    assert "no such user" in done["refused"][0][2]
    assert done["undelivered"] == [bad]
    assert sorted(done["delivered"]) == sorted(good)
    assert done["deferred"] == []


# -- (d) no Bcc header ever leaves ------------------------------------------------


def test_a_bcc_field_of_a_passing_message_is_not_relayed(
    serve: ServeProcess, sink: SinkServer
) -> None:
    secret = serve.secret()
    hidden = [f"blind{i}@b{i % 3}.test" for i in range(30)]
    mail = small_mail(SENDER, ["one@x.test"], bcc=hidden, tag="bcc")
    reply = submit(serve.port, secret, mail)
    assert reply.ok, reply
    assert_exactly_once(sink, mail.recipients)
    for got in sink.received:
        assert not has_bcc_field(got.data), header_of(got.data).decode()
        assert b"blind" not in header_of(got.data)


@pytest.mark.parametrize(
    "how",
    [
        "--as-is",
        "--bcc",
    ],
)
def test_a_bcc_field_of_a_released_message_is_not_relayed(
    serve: ServeProcess, sink: SinkServer, how: str
) -> None:
    secret = serve.secret()
    hidden = [f"blind{i}@b{i % 3}.test" for i in range(30)]
    mail = mass_mail(SENDER, 10, tag="held-bcc", bcc=hidden)
    with ThreadPoolExecutor(1) as clients:
        client, record = hold(serve, clients, secret, mail)
        released = serve.cli("held", "release", record["id"], how)
        assert released.returncode == 0, released.stdout + released.stderr
        assert client.result(timeout=60).ok
    assert_exactly_once(sink, mail.recipients)
    for got in sink.received:
        header = header_of(got.data)
        assert not has_bcc_field(got.data), header.decode()
        assert b"blind" not in header
        if how == "--as-is":
            assert b"held-bcc9@d4.test" in header  # the visible ones stay


# -- (e) one slow upstream blocks nobody else -------------------------------------


def test_a_slow_upstream_does_not_block_other_decisions_or_accounts(
    tmp_path: Path,
) -> None:
    stuck = 8
    with (
        running_sink(delay_data=20.0) as slow,
        running_sink() as fast,
        ThreadPoolExecutor(stuck + 2) as clients,
    ):
        serve = ServeProcess(
            tmp_path / "home",
            [
                Account("slow", "slow@slow.test", slow.port),
                Account("fast", "fast@fast.test", fast.port),
            ],
        )
        serve.start()
        releases: list[subprocess.Popen[str]] = []
        try:
            secret = serve.secret()
            mails = [
                mass_mail("slow@slow.test", 8, tag=f"stuck{i}-")
                for i in range(stuck + 1)
            ]
            held = [hold(serve, clients, secret, m)[1] for m in mails]
            for record in held[:stuck]:
                releases.append(
                    serve.cli_background("held", "release", record["id"], "--bcc")
                )
            slow.handler.wait_phase("data")  # the first is stuck upstream
            ids = {h["id"] for h in held[:stuck]}
            wait_for(
                lambda: all(
                    h["state"] != "waiting" for h in serve.held() if h["id"] in ids
                ),
                timeout=30,
            )

            start = time.monotonic()
            discard = serve.cli("held", "discard", held[stuck]["id"], timeout=60)
            discard_seconds = time.monotonic() - start
            start = time.monotonic()
            listing = serve.held()
            list_seconds = time.monotonic() - start
            other = small_mail("fast@fast.test", ["friend@f.test"], tag="other")
            passed = submit(serve.port, secret, other, timeout=30)

            assert discard.returncode == 0, discard.stdout + discard.stderr
            assert discard_seconds < 5, f"discard took {discard_seconds:.1f} s"
            assert list_seconds < 5, f"held list took {list_seconds:.1f} s"
            assert [h["state"] for h in listing if h["id"] == held[stuck]["id"]] == [
                "discarded"
            ]
            assert passed.ok and passed.seconds < 5, passed
            assert fast.handler.copies()["friend@f.test"] == 1
        finally:
            slow.handler.calm()
            serve.stop()
            for release in releases:
                release.communicate(timeout=60)


# -- many clients at once ---------------------------------------------------------


def test_many_clients_at_once_each_message_arrives_exactly_once(
    serve: ServeProcess, sink: SinkServer
) -> None:
    clients, per_client = 50, 20
    secret = serve.secret()
    failures: list[str] = []
    sent_ids: list[str] = []
    lock = threading.Lock()

    def one_client(n: int) -> None:
        mails = [
            small_mail(SENDER, [f"c{n}@load.test"], tag=f"load{n}-{i}")
            for i in range(per_client)
        ]
        for mail in mails:
            reply = submit(serve.port, secret, mail, timeout=60)
            with lock:
                if reply.ok:
                    sent_ids.append(mail.message_id)
                else:
                    failures.append(f"{mail.message_id}: {reply.code} {reply.text}")

    start = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(one_client, n) for n in range(clients)]:
            future.result(timeout=120)
    seconds = time.monotonic() - start
    assert not failures, failures[:5]
    assert len(sent_ids) == clients * per_client
    arrived = [_message_id(got.data) for got in sink.received]
    assert sorted(arrived) == sorted(sent_ids), "a message went twice or not at all"
    assert seconds < 60, f"{clients} x {per_client} messages took {seconds:.0f} s"


def _message_id(data: bytes) -> str:
    for line in header_of(data).split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.partition(b":")[2].strip().decode()
    return ""


# -- swaks as the client -------------------------------------------------------


def test_swaks_release_killed_after_the_dot_asks_the_user_and_sends_once(
    serve: ServeProcess, sink: SinkServer, tmp_path: Path
) -> None:
    assert SWAKS, "swaks is not installed (see .ci/install-system-packages)"
    secret = serve.secret()
    mail = mass_mail(SENDER, 9, tag="swaks")
    eml = tmp_path / "mass.eml"
    eml.write_bytes(mail.data)
    swaks = subprocess.Popen(
        swaks_command(
            serve.port, secret, SENDER, mail.recipients, str(eml), "--timeout", "60"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        record = serve.wait_record(of(mail, "waiting"), "waiting")
        sink.handler.delay_final = 60.0
        release = serve.cli_background("held", "release", record["id"], "--as-is")
        sink.handler.wait_phase("kept")
        serve.kill()
        release.communicate(timeout=60)
        out, _ = swaks.communicate(timeout=60)
        assert swaks.returncode != 0, out
    finally:
        if swaks.poll() is None:
            swaks.kill()
            swaks.communicate()
    sink.handler.calm()
    serve.start()
    found = serve.wait_record(of(mail, "uncertain"), "uncertain after the kill")
    # "Send again" would give a second copy: the user says it went out instead.
    went = serve.cli("held", "went-out", found["id"])
    assert went.returncode == 0, went.stdout + went.stderr
    assert serve.record(found["id"]) is not None
    assert_exactly_once(sink, mail.recipients)
    assert (serve.record(found["id"]) or {})["state"] == "sent"
