"""Undo send against real peers: a real ``bccguard serve`` with a delay on its
account, real clients (smtplib, swaks), a real SMTP sink, and ``kill -9``.

What each test checks: the client is answered 250 while nothing has gone yet;
the message reaches the sink exactly once, never before its time; an Undo sends
nothing; a kill during the countdown loses nothing and sends nothing twice.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fault_upstream import (
    Account,
    Mail,
    ServeProcess,
    serving,
    small_mail,
    submit,
    swaks_command,
)
from tests.e2e.test_faults import assert_exactly_once, of
from tests.smtp_sink import SinkServer
from tests.support import wait_for

pytestmark = pytest.mark.slow
SENDER = "you@bccguard-demo.example"
SWAKS = shutil.which("swaks")
DELAY = 10


class DelayedServe(ServeProcess):
    """``bccguard serve`` whose one account waits ``undo_delay`` s for an Undo."""

    undo_delay = DELAY

    def write_config(self) -> None:
        super().write_config()
        config = self.home / "config.toml"
        text = config.read_text(encoding="utf-8")
        # The account's table is the file's last: its keys go on at the end.
        config.write_text(text + f"undo_delay = {self.undo_delay}\n", encoding="utf-8")


class ArrivalTimes:
    """When the sink took each message (wall clock), from its own events."""

    def __init__(self, sink: SinkServer) -> None:
        self.times: list[float] = []
        handler = sink.handler
        noted = handler._note

        def note(phase: str, detail: str) -> None:
            if phase == "kept":
                self.times.append(time.time())
            noted(phase, detail)

        handler._note = note  # type: ignore[method-assign]


@pytest.fixture
def arrivals(sink: SinkServer) -> ArrivalTimes:
    return ArrivalTimes(sink)


@pytest.fixture
def serve(tmp_path: Path, sink: SinkServer) -> Iterator[DelayedServe]:
    server = DelayedServe(tmp_path / "home", [Account("test", SENDER, sink.port)])
    with serving(server, sink):
        yield server


def lunch(tag: str) -> Mail:
    return small_mail(SENDER, ["ann@a.test", "bob@b.test", "cy@c.test"], tag=tag)


def counting(serve: ServeProcess, mail: Mail) -> dict[str, Any]:
    record = serve.wait_record(of(mail, "queued"), "counting down")
    assert record["countdown_until"] > 0 and record["attempts"] == 0, record
    return record


def test_250_at_once_then_one_copy_when_the_time_is_up(
    serve: ServeProcess, sink: SinkServer, arrivals: ArrivalTimes
) -> None:
    mail = lunch("undo-ok")
    reply = submit(serve.port, serve.secret(), mail)
    assert reply.ok and f"in {DELAY} s" in reply.text, reply
    record = counting(serve, mail)  # the client has its 250; nothing went yet
    assert sink.handler.received == []
    listed = serve.cli("held", "list")
    assert "Undo send: goes at" in listed.stdout, listed.stdout
    done = serve.wait_record(of(mail, "sent"), "sent when due", timeout=60)
    assert done["id"] == record["id"]
    assert_exactly_once(sink, mail.recipients)
    assert len(arrivals.times) == 1
    assert arrivals.times[0] >= float(record["countdown_until"])


def test_kill_9_during_the_countdown_then_one_copy_at_its_time(
    serve: ServeProcess, sink: SinkServer, arrivals: ArrivalTimes
) -> None:
    mail = lunch("undo-kill")
    assert submit(serve.port, serve.secret(), mail).ok
    record = counting(serve, mail)
    serve.kill()
    serve.start()
    after = serve.record(record["id"])
    assert after is not None and after["state"] in ("queued", "sending", "sent")
    serve.wait_record(of(mail, "sent"), "sent after the restart", timeout=60)
    assert_exactly_once(sink, mail.recipients)
    assert arrivals.times[0] >= float(record["countdown_until"])


def test_kill_9_and_restart_after_its_time_sends_it_once_at_the_start(
    serve: ServeProcess, sink: SinkServer
) -> None:
    mail = lunch("undo-late")
    assert submit(serve.port, serve.secret(), mail).ok
    record = counting(serve, mail)
    serve.kill()
    due = float(record["countdown_until"])
    wait_for(lambda: time.time() > due + 1, timeout=DELAY + 10)
    assert sink.handler.received == []  # nobody sent it while BccGuard was down
    serve.start()
    serve.wait_record(of(mail, "sent"), "sent at the start", timeout=30)
    assert_exactly_once(sink, mail.recipients)


def test_undo_inside_the_window_sends_nothing_and_holds_it(
    serve: ServeProcess, sink: SinkServer
) -> None:
    mail = lunch("undo-undo")
    assert submit(serve.port, serve.secret(), mail).ok
    record = counting(serve, mail)
    undone = serve.cli("held", "undo", str(record["id"]))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    held = serve.record(str(record["id"]))
    assert held is not None and held["state"] == "waiting", held
    due = float(record["countdown_until"])
    wait_for(lambda: time.time() > due + 2, timeout=DELAY + 10)
    assert sink.handler.received == []
    assert (serve.record(record["id"]) or {}).get("state") == "waiting"
    # Undo after its time, or twice, is refused and changes nothing.
    again = serve.cli("held", "undo", str(record["id"]))
    assert again.returncode != 0 and "not counting down" in again.stderr
    # The user sends it after all: once, at once.
    released = serve.cli("held", "release", str(record["id"]), "--as-is")
    assert released.returncode == 0, released.stdout + released.stderr
    assert_exactly_once(sink, mail.recipients)


def test_held_release_during_the_countdown_sends_it_now(
    serve: DelayedServe, sink: SinkServer
) -> None:
    serve.stop()
    serve.undo_delay = 60
    serve.write_config()
    serve.start()
    mail = lunch("undo-now")
    assert submit(serve.port, serve.secret(), mail).ok
    record = counting(serve, mail)
    now = serve.cli("held", "release", str(record["id"]))
    assert now.returncode in (0, 1), now.stdout + now.stderr
    serve.wait_record(of(mail, "sent"), "sent now", timeout=30)  # not in 60 s
    assert_exactly_once(sink, mail.recipients)


def test_swaks_sending_it_again_during_the_countdown_gets_no_second_copy(
    serve: ServeProcess, sink: SinkServer, tmp_path: Path
) -> None:
    assert SWAKS, "swaks is not installed (see .ci/install-system-packages)"
    mail = lunch("undo-swaks")
    eml = tmp_path / "lunch.eml"
    eml.write_bytes(mail.data)
    command = swaks_command(
        serve.port, serve.secret(), SENDER, mail.recipients, f"@{eml}"
    )
    first = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stdout
    assert "<-  250 2.0.0 BccGuard has it" in first.stdout, first.stdout
    record = counting(serve, mail)
    second = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=60
    )
    assert second.returncode == 0, second.stdout
    assert str(record["id"]) in second.stdout
    assert [r["id"] for r in serve.held() if of(mail)(r)] == [record["id"]]
    serve.wait_record(of(mail, "sent"), "sent when due", timeout=60)
    assert_exactly_once(sink, mail.recipients)
