"""A real ``bccguard serve --demo`` leaves only private files in its home.

Under the usual desktop umask (0022) the home is walked after the CLI saved an
account and the secrets file, the guard passed one message to the demo outbox,
held a mass mail and had it discarded: every folder must be 0700 and every file
0600. There are no exceptions inside the home during ``serve`` (the native-host
launcher, 0755 on purpose, is written only by ``install-thunderbird``).
"""

from __future__ import annotations

import json
import os
import signal
import smtplib
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.demo import DEMO_SENDER, send_sample

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name == "nt", reason="POSIX permissions"),
]

HELD = "held"


def _cli(
    env: dict[str, str], *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "bccguard", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"bccguard {' '.join(args)}: {result.stderr}"
    return result


def _wait_for_held(env: dict[str, str]) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        held = json.loads(_cli(env, "held", "list", "--json").stdout)
        waiting = [h for h in held if h["state"] == "waiting"]
        if waiting:
            return str(waiting[0]["id"])
        time.sleep(0.2)
    raise AssertionError("no held message appeared")


class Walk:
    """What the run left in the home, and what the CLI said on its first start."""

    def __init__(self, home: Path, first_stderr: str) -> None:
        self.home = home
        self.first_stderr = first_stderr
        self.modes = {
            path.relative_to(home): stat.S_IMODE(path.lstat().st_mode)
            for path in [home, *home.rglob("*")]
        }

    def loose(self, *, held: bool) -> dict[str, str]:
        """Paths whose mode is not 0700 (folders) or 0600 (files), as ``mode``."""
        bad = {}
        for relative, mode in self.modes.items():
            if (relative.parts[:1] == (HELD,)) != held:
                continue
            path = self.home / relative
            wanted = 0o700 if path.is_dir() else 0o600
            if mode != wanted:
                bad[str(relative)] = f"{mode:04o}"
        return bad


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    old_umask = os.umask(0o022)
    try:
        home = tmp_path_factory.mktemp("private") / "home"
        home.mkdir()
        home.chmod(0o755)  # an existing home others can enter
        env = {
            **os.environ,
            "BCCGUARD_HOME": str(home),
            "PYTHONUNBUFFERED": "1",
            # No keyring: the secrets go to the fallback file in the home.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        added = _cli(
            env,
            "account",
            "add",
            "demo",
            "--email",
            DEMO_SENDER,
            "--smtp-host",
            "127.0.0.1",
            "--tls",
            "none",
            "--password-stdin",
            stdin="upstream-password\n",
        )
        port = free_port()
        serve = subprocess.Popen(
            [sys.executable, "-m", "bccguard", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert serve.stdout is not None
            for line in serve.stdout:
                if "is guarding on" in line:
                    break
            else:
                raise AssertionError("bccguard serve did not start")
            secret = _cli(env, "secret").stdout.strip()
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                client.login("me", secret)
                client.sendmail(
                    DEMO_SENDER,
                    ["a@x.example"],
                    f"From: {DEMO_SENDER}\r\nTo: a@x.example\r\nSubject: hi\r\n\r\nhi"
                    "\r\n",
                )
            replies: list[str] = []
            mass = threading.Thread(
                target=lambda: replies.append(send_sample(port, secret, timeout=60))
            )
            mass.start()
            _cli(env, "held", "discard", _wait_for_held(env))
            mass.join(60)
            assert replies and replies[0].startswith("550"), replies
            _cli(env, "incidents", "list")
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.communicate(timeout=60)
        yield Walk(home, added.stderr)
    finally:
        os.umask(old_umask)


def test_the_run_wrote_what_it_should(walk: Walk) -> None:
    names = {str(p) for p in walk.modes}
    assert {
        "config.toml",
        "secrets.json",
        "incidents.sqlite3",
        "demo-outbox",
        "demo-outbox/0001.eml",
        "demo-outbox/0001.json",
        HELD,
    } <= names


def test_the_open_home_was_tightened_with_a_warning(walk: Walk) -> None:
    assert walk.modes[Path(".")] == 0o700
    assert str(walk.home) in walk.first_stderr
    assert "0755" in walk.first_stderr


def test_every_file_is_0600_and_every_folder_0700(walk: Walk) -> None:
    assert walk.loose(held=False) == {}


def test_held_messages_are_private_too(walk: Walk) -> None:
    assert walk.loose(held=True) == {}
