"""``bccguard serve`` as a user runs it: a real process, real swaks, real kill -9."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.demo import recipients_of, sample_mass_mail
from tests.dovecot_server import PASSWORD, USER, Dovecot, mass_mail
from tests.e2e.bccguard_process import (
    SERVE_READY,
    bccguard_environment,
    run_bccguard,
    start_bccguard,
)
from tests.e2e.fault_upstream import swaks_command
from tests.smtp_sink import SinkServer

pytestmark = pytest.mark.slow
SWAKS = shutil.which("swaks")


class Serve:
    """A ``bccguard serve`` process in its own home."""

    def __init__(self, home: Path, port: int) -> None:
        self.home = home
        self.port = port
        self.env = bccguard_environment(home)
        self.process: subprocess.Popen[str] | None = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = run_bccguard(self.env, *args)
        if check and result.returncode != 0:
            raise AssertionError(f"bccguard {' '.join(args)}: {result.stderr}")
        return result

    def start(self) -> None:
        self.process = start_bccguard(self.env, "serve")
        assert self.process.stdout is not None
        deadline = time.monotonic() + 30
        for line in self.process.stdout:
            if SERVE_READY in line:
                return
            if time.monotonic() > deadline:
                break
        raise AssertionError("bccguard serve did not start")

    def kill(self, signum: int = signal.SIGKILL) -> None:
        if self.process is not None:
            self.process.send_signal(signum)
            self.process.wait(30)
            if self.process.stdout:
                self.process.stdout.close()
            self.process = None

    def held(self) -> list[dict[str, object]]:
        return json.loads(self.cli("held", "list", "--json").stdout)


@pytest.fixture
def serve(tmp_path: Path, upstream: SinkServer) -> Iterator[Serve]:
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    (home / "config.toml").write_text(
        f"[proxy]\nport = {port}\ndecision_timeout = 30\n\n"
        f'[[accounts]]\nname = "test"\nemail = "you@bccguard-demo.example"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {upstream.port}\nsmtp_tls = "none"\n',
        encoding="utf-8",
    )
    server = Serve(home, port)
    server.start()
    yield server
    server.kill(signal.SIGTERM)


def swaks(serve: Serve, eml: Path, to: list[str], secret: str) -> subprocess.Popen[str]:
    assert SWAKS, "swaks is not installed (see .ci/install-system-packages)"
    return subprocess.Popen(
        swaks_command(
            serve.port,
            secret,
            "you@bccguard-demo.example",
            to,
            str(eml),
            "--timeout",
            "60",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def send_sample_with_swaks(
    serve: Serve, tmp_path: Path
) -> tuple[subprocess.Popen[str], bytes, Path, str]:
    """swaks submits the demo's 25-person mass mail; it waits for the answer."""
    secret = serve.cli("secret").stdout.strip()
    mass = tmp_path / "mass.eml"
    data = sample_mass_mail(25)
    mass.write_bytes(data)
    return swaks(serve, mass, recipients_of(data), secret), data, mass, secret


def wait_for_held(serve: Serve, state: str = "waiting") -> dict[str, object]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [h for h in serve.held() if h["state"] == state]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("no held message appeared")


def test_swaks_pass_and_hold_paths(
    serve: Serve, upstream: SinkServer, tmp_path: Path
) -> None:
    secret = serve.cli("secret").stdout.strip()
    small = tmp_path / "small.eml"
    small.write_bytes(
        b"From: you@bccguard-demo.example\r\nTo: a@x.example\r\n\r\nhi\r\n"
    )
    result = swaks(serve, small, ["a@x.example"], secret)
    out, _ = result.communicate(timeout=60)
    assert result.returncode == 0, out
    assert len(upstream.received) == 1

    mass = tmp_path / "mass.eml"
    data = sample_mass_mail(25)
    mass.write_bytes(data)
    client = swaks(serve, mass, recipients_of(data), secret)
    held = wait_for_held(serve)
    released = serve.cli("held", "release", str(held["id"]), "--bcc")
    assert "sent" in released.stdout
    out, _ = client.communicate(timeout=60)
    assert client.returncode == 0, out
    assert len(upstream.received) == 2
    header = upstream.received[1].data.partition(b"\r\n\r\n")[0]
    assert b"libero.it" not in header
    assert sorted(upstream.received[1].rcpt_tos) == sorted(recipients_of(data))


def test_discard_from_the_cli(
    serve: Serve, upstream: SinkServer, tmp_path: Path
) -> None:
    client, *_ = send_sample_with_swaks(serve, tmp_path)
    held = wait_for_held(serve)
    serve.cli("held", "discard", str(held["id"]))
    out, _ = client.communicate(timeout=60)
    assert client.returncode != 0
    assert "550 5.7.1" in out
    assert upstream.received == []


def test_killed_while_holding_then_released_once(
    serve: Serve, upstream: SinkServer, tmp_path: Path
) -> None:
    client, data, mass, secret = send_sample_with_swaks(serve, tmp_path)
    held = wait_for_held(serve)
    serve.kill(signal.SIGKILL)
    out, _ = client.communicate(timeout=60)
    assert client.returncode != 0  # the client was never told "sent": it keeps its copy
    assert upstream.received == []

    serve.start()
    again = wait_for_held(serve)
    assert again["id"] == held["id"]
    serve.cli("held", "release", str(held["id"]), "--bcc")
    assert len(upstream.received) == 1
    # The mail client retries the same message: it is not sent a second time.
    retry = swaks(serve, mass, recipients_of(data), secret)
    out, _ = retry.communicate(timeout=60)
    assert retry.returncode == 0, out
    assert "Already sent" in out
    assert len(upstream.received) == 1


def test_held_release_without_a_running_guard(tmp_path: Path) -> None:
    env = {**os.environ, "BCCGUARD_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bccguard", "held", "release", "deadbeef"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "not running" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_turns_a_mass_mail_in_sent_into_an_incident(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    server = Serve(home, free_port())
    (home / "config.toml").write_text(
        f"[proxy]\nport = {server.port}\n", encoding="utf-8"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bccguard",
            "account",
            "add",
            "home",
            "--email",
            "me@me.example",
            "--smtp-host",
            "smtp.me.example",
            "--imap-host",
            "127.0.0.1",
            "--imap-port",
            str(dovecot.port),
            "--imap-tls",
            "none",
            "--imap-username",
            USER,
            "--password-stdin",
        ],
        env=server.env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in (home / "config.toml").read_text()
    server.start()
    try:
        dovecot.append("Sent", mass_mail(40))
        deadline = time.monotonic() + 20
        incidents: list[dict[str, object]] = []
        while time.monotonic() < deadline and not incidents:
            incidents = json.loads(server.cli("incidents", "list", "--json").stdout)
            time.sleep(0.2)
        assert len(incidents) == 1
        assert incidents[0]["kind"] == "detected-in-sent"
        assert incidents[0]["exposed_count"] == 40
    finally:
        server.kill(signal.SIGTERM)


def test_the_tray_app_without_a_desktop_says_what_to_do(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["BCCGUARD_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bccguard", "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "serve --demo" in result.stderr
    assert "Traceback" not in result.stderr
