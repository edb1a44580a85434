"""Send one by one against real peers: a real ``bccguard serve``, a real aiosmtpd
upstream that limits its rate and its daily quota as Gmail does, ``kill -9`` in
the middle of a run, and the copies counted where they arrived.

What every test checks: each recipient got exactly one copy, addressed to them
alone, with a Message-ID of its own; nothing beyond the budget or after a quota
refusal went out.
"""

from __future__ import annotations

import email
import time
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from bccguard.core.decision_proof import HEADER as DECISION_HEADER
from bccguard.core.decision_proof import INDIVIDUALLY, make_proof, proof_key
from tests.e2e.fault_upstream import (
    QUICK_DELIVERY,
    Account,
    Mail,
    ServeProcess,
    header_of,
    mass_mail,
    serving,
    small_mail,
    submit,
)
from tests.smtp_sink import SinkServer

pytestmark = pytest.mark.slow
SENDER = "you@bccguard-demo.example"
FINAL = ("sent", "partly-sent", "failed", "discarded", "uncertain")
# Small pauses: between copies, and after a refusal for now (the rate limit).
ONE_BY_ONE = {**QUICK_DELIVERY, "one_by_one_pause": 0.01, "retry_delays": [0.3] * 5}


def serve_for(
    tmp_path: Path, sink: SinkServer, *, daily_limit: int = 0
) -> ServeProcess:
    account = Account("test", SENDER, sink.port, daily_limit=daily_limit)
    server = ServeProcess(
        tmp_path / "home", [account], decision_timeout=1.0, delivery=ONE_BY_ONE
    )
    server.start()
    return server


@pytest.fixture
def serve(tmp_path: Path, sink: SinkServer) -> Iterator[ServeProcess]:
    with serving(serve_for(tmp_path, sink), sink) as server:
        yield server


def held_record(serve: ServeProcess, mail: Mail) -> dict[str, Any]:
    """Submit ``mail`` (held by the policy); its record once it waits."""
    reply = submit(serve.port, serve.secret(), mail, timeout=30)
    assert reply.code == 451, reply  # decision_timeout passed: it waits
    return serve.wait_record(
        lambda r: r["message_id"] == mail.message_id and r["state"] == "waiting",
        "waiting",
    )


def one_by_one(serve: ServeProcess, held_id: str, *options: str) -> None:
    release = serve.cli("held", "release", held_id, "--individually", *options)
    assert release.returncode == 0, release.stdout + release.stderr


def settled(serve: ServeProcess, held_id: str, timeout: float = 120.0) -> Any:
    return serve.wait_record(
        lambda r: r["id"] == held_id and r["state"] in FINAL,
        "settled",
        timeout=timeout,
    )


def copies_by_recipient(sink: SinkServer) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for got in sink.received:
        assert len(got.rcpt_tos) == 1, got.rcpt_tos  # one copy, one recipient
        found.setdefault(got.rcpt_tos[0], []).append(got.data)
    return found


def assert_one_copy_each(sink: SinkServer, recipients: tuple[str, ...]) -> None:
    found = copies_by_recipient(sink)
    wrong = {r: len(found.get(r, [])) for r in recipients if len(found.get(r, [])) != 1}
    assert not wrong, f"recipients without exactly one copy: {wrong}"
    ids = set()
    for rcpt, (data,) in ((r, found[r]) for r in recipients):
        message = email.message_from_bytes(data, policy=default)
        assert message.get_all("To") and len(message.get_all("To")) == 1
        assert rcpt in str(message["To"]), (rcpt, message["To"])
        assert message["Cc"] is None and message["Bcc"] is None
        assert b"\r\ncc:" not in header_of(data).lower()
        ids.add(message["Message-ID"])
    assert len(ids) == len(recipients), "two copies share a Message-ID"


@pytest.mark.parametrize("phase", ["before-dot", "after-dot"])
def test_200_copies_through_a_rate_limit_killed_mid_run_arrive_once_each(
    serve: ServeProcess, sink: SinkServer, phase: str
) -> None:
    sink.handler.rate_limit = (10, 1.0)
    # The 70th copy stalls at the server, before its 354 or after its dot
    # (kept, not yet confirmed): serve is killed right there.
    sink.handler.slow_final = 120.0
    fault = "slow-data" if phase == "before-dot" else "slow-final"
    sink.handler.data_faults.extend([None] * 69 + [fault])
    mail = mass_mail(SENDER, 200, tag="obo-")
    record = held_record(serve, mail)
    one_by_one(serve, record["id"])
    sink.handler.wait_phase("data" if phase == "before-dot" else "kept", 70, 120)
    serve.kill()
    assert len(sink.received) == (69 if phase == "before-dot" else 70)
    sink.handler.calm()
    serve.start()

    done = settled(serve, record["id"])
    if phase == "after-dot":
        # That copy may have gone: the user is asked about it alone (here as
        # the Sent folder would tell: it went out); the other 199 went on.
        assert done["state"] == "uncertain", done
        (maybe,) = done["uncertain"]
        assert len(copies_by_recipient(sink)[maybe]) == 1
        assert len(done["delivered"]) == 199
        went = serve.cli("held", "went-out", record["id"])
        assert went.returncode == 0, went.stdout + went.stderr
        done = settled(serve, record["id"])
    assert done["state"] == "sent", done
    assert sorted(done["delivered"]) == sorted(mail.recipients)
    assert_one_copy_each(sink, mail.recipients)
    assert sink.handler.throttled > 0  # the rate limit was met and waited out


def test_a_quota_refusal_pauses_the_run_and_a_resume_finishes_it(
    serve: ServeProcess, sink: SinkServer
) -> None:
    sink.handler.daily_quota = 12
    mail = mass_mail(SENDER, 30, tag="quota-")
    record = held_record(serve, mail)
    one_by_one(serve, record["id"])
    paused = settled(serve, record["id"])
    assert paused["state"] == "partly-sent", paused
    assert "5.4.5 Daily user sending quota exceeded" in paused["outcome"]
    assert "paused at 12 of 30" in paused["outcome"]
    assert len(sink.received) == 12
    assert sink.handler.over_quota == 1  # stopped at the first refusal
    listed = serve.cli("held", "list")
    assert "paused at 12 of 30" in listed.stdout
    assert "release --individually" in listed.stdout

    sink.handler.daily_quota = None  # the next day
    one_by_one(serve, record["id"])
    done = settled(serve, record["id"])
    assert done["state"] == "sent", done
    assert_one_copy_each(sink, mail.recipients)


def test_the_budget_is_shared_with_ordinary_mail_and_survives_a_restart(
    tmp_path: Path, sink: SinkServer
) -> None:
    serve = serve_for(tmp_path, sink, daily_limit=30)  # 27 for one by one
    try:
        ordinary = small_mail(SENDER, ["a@x.test", "b@x.test", "c@x.test"])
        assert submit(serve.port, serve.secret(), ordinary).ok
        mail = mass_mail(SENDER, 40, tag="budget-")
        record = held_record(serve, mail)
        started = time.time()
        one_by_one(serve, record["id"])
        waiting = serve.wait_record(
            lambda r: r["id"] == record["id"] and "daily sending limit" in r["outcome"],
            "waiting for the budget",
            timeout=60,
        )
        assert waiting["state"] == "queued"
        assert waiting["next_attempt"] > started + 23 * 3600
        assert len(waiting["delivered"]) == 24  # 27 - the 3 of the ordinary mail
        assert len(sink.received) == 1 + 24

        serve.kill()
        serve.start()
        # A new run after the restart finds the budget spent as well.
        second = mass_mail(SENDER, 7, tag="second-")
        other = held_record(serve, second)
        one_by_one(serve, other["id"])
        later = serve.wait_record(
            lambda r: r["id"] == other["id"] and "daily sending limit" in r["outcome"],
            "second run waiting for the budget",
        )
        assert later["delivered"] == []
        assert len(sink.received) == 1 + 24
    finally:
        serve.stop()


def test_each_copy_greets_its_recipient_by_first_name(
    serve: ServeProcess, sink: SinkServer
) -> None:
    people = {
        "mario@x.test": ('"Rossi, Mario" <mario@x.test>', "Mario"),
        "anna@x.test": ("Anna Bianchi <anna@x.test>", "Anna"),
        "zoe@x.test": ("=?utf-8?q?Zo=C3=AB_Martin?= <zoe@x.test>", "Zoë"),
        "luca@x.test": ("ROSSI Luca <luca@x.test>", "Luca"),
        "plain@x.test": ("plain@x.test", "friend"),
        "dr@x.test": ("Dr. Paola Verdi <dr@x.test>", "Paola"),
        "one@x.test": ("<one@x.test>", "friend"),
    }
    message_id = "<greeting-test@faults.test>"
    data = (
        "From: Sender <" + SENDER + ">\r\n"
        "To: " + ",\r\n ".join(v[0] for v in people.values()) + "\r\n"
        "Subject: Season's greetings\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "Dear {first_name},\r\nhappy holidays.\r\n"
    ).encode()
    mail = Mail(SENDER, tuple(people), data, message_id)
    record = held_record(serve, mail)
    one_by_one(serve, record["id"], "--greeting-fallback", "friend")
    done = settled(serve, record["id"])
    assert done["state"] == "sent", done
    assert_one_copy_each(sink, mail.recipients)
    for rcpt, (data_in,) in copies_by_recipient(sink).items():
        message = email.message_from_bytes(data_in, policy=default)
        body = message.get_content()
        assert body.startswith(f"Dear {people[rcpt][1]},"), (rcpt, body)
        shown = str(make_header(decode_header(str(message["To"]))))
        assert rcpt in shown
    zoe = email.message_from_bytes(copies_by_recipient(sink)["zoe@x.test"][0])
    assert "Zoë Martin" in str(make_header(decode_header(zoe["To"])))


def test_the_held_list_shows_the_run_s_progress(
    serve: ServeProcess, sink: SinkServer
) -> None:
    sink.handler.slow_final = 60.0  # the fourth copy waits at the server
    sink.handler.data_faults.extend([None, None, None, "slow-final"])
    mail = mass_mail(SENDER, 8, tag="progress-")
    record = held_record(serve, mail)
    one_by_one(serve, record["id"])
    sink.handler.wait_phase("kept", 4)
    listed = serve.cli("held", "list").stdout
    assert "sending" in listed and "one by one: 3 of 8 sent" in listed, listed
    sink.handler.slow_final = 0.0
    done = settled(serve, record["id"])
    assert done["state"] == "sent"
    assert done["outcome"] == "one by one: sent to 8 of 8"


def _bcc_form(recipients: tuple[str, ...], tag: str) -> Mail:
    """What Thunderbird sends after its gate converted a message: To the sender,
    everyone else only in the envelope."""
    message_id = f"<{tag}@faults.test>"
    data = (
        f"From: Sender <{SENDER}>\r\nTo: {SENDER}\r\nSubject: {tag}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nHello.\r\n"
    ).encode()
    return Mail(SENDER, (SENDER, *recipients), data, message_id)


def _with_proof(mail: Mail, secret: str, visible: list[str]) -> Mail:
    proof = make_proof(proof_key(secret), visible, time.time(), [INDIVIDUALLY])
    data = f"{DECISION_HEADER}: {proof}\r\n".encode() + mail.data
    return Mail(mail.sender, mail.recipients, data, mail.message_id)


def test_one_by_one_chosen_in_thunderbird_is_sent_copy_by_copy(
    serve: ServeProcess, sink: SinkServer
) -> None:
    people = tuple(f"tb{i}@d{i % 3}.test" for i in range(9))
    mail = _with_proof(
        _bcc_form(people, "thunderbird-one-by-one"), serve.secret(), [SENDER]
    )
    reply = submit(serve.port, serve.secret(), mail, timeout=30)
    assert reply.code == 250 and "one by one" in reply.text, reply
    done = serve.wait_record(
        lambda r: r["message_id"] == mail.message_id and r["state"] in FINAL,
        "sent one by one",
    )
    assert done["state"] == "sent", done
    assert_one_copy_each(sink, mail.recipients)
    for got in sink.received:
        assert DECISION_HEADER.encode() not in got.data  # never leaves BccGuard


def test_a_proof_that_does_not_verify_sends_the_bcc_form_as_it_is(
    serve: ServeProcess, sink: SinkServer
) -> None:
    people = tuple(f"nb{i}@d{i % 3}.test" for i in range(9))
    mail = _with_proof(
        _bcc_form(people, "forged-one-by-one"), "not the secret", [SENDER]
    )
    reply = submit(serve.port, serve.secret(), mail, timeout=30)
    assert reply.ok, reply
    (got,) = sink.received  # one message, nobody shown to anybody
    assert sorted(got.rcpt_tos) == sorted(mail.recipients)
    assert b"\r\nTo: " + SENDER.encode() + b"\r\n" in got.data
    assert DECISION_HEADER.encode() not in got.data
