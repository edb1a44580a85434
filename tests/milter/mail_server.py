"""A real organisation mail server for the milter's tests: Postfix submission with
SASL (Dovecot's), ``bccguard milter`` as its milter, and a sink it relays to.

swaks is the mail program; everything between it and the sink is the real thing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bccguard.adapters.demo_sink import free_port
from tests.dovecot_server import PASSWORD, USER, Dovecot
from tests.milter.opendkim import OpenDkim
from tests.milter.opendkim import available as opendkim_available
from tests.postfix_server import postfix_relay
from tests.smtp_sink import LoopbackController, Sink
from tests.support import wait_listening

REPO = Path(__file__).resolve().parents[2]
QUEUE_HELPER = REPO / "packaging" / "milter" / "postfix-queue"

# Senders whose account has each action (policy_for(sender) decides).
HOLDER = "hold@example.com"
CONVERTER = "convert@example.com"
REJECTER = "reject@example.com"
THRESHOLD = 3
STAFF_DOMAIN = "staff.example.net"
SIGNED_DOMAIN = "example.com"  # OpenDKIM signs the mail of HOLDER, CONVERTER...


def settings_toml() -> str:
    """The policy: threshold 3; the action is the sender's account's."""
    accounts = ""
    for email, action in ((HOLDER, "ask"), (CONVERTER, "convert"), (REJECTER, "block")):
        name = email.split("@")[0]
        accounts += (
            f'[[accounts]]\nname = "{name}"\nemail = "{email}"\n'
            f'smtp_host = "127.0.0.1"\nsmtp_tls = "none"\naction = "{action}"\n\n'
        )
    # Recipient rules: mail to the parents always goes Bcc, whatever the count.
    rules = (
        '[[lists]]\nname = "Parents"\nmembers = ["parent0@example.net", '
        '"parent1@example.net"]\n\n'
        '[[rules]]\nname = "Parents"\nlists = ["Parents"]\neffect = "bcc"\n\n'
    )
    # The staff see each other (a trusted domain): their mail to all passes, and
    # the reply-all brake watches its threads.
    policy = (
        f'[policy]\nthreshold = {THRESHOLD}\ntrusted_domains = ["{STAFF_DOMAIN}"]\n\n'
    )
    return f"{policy}{accounts}{rules}"


@dataclass
class MailServer:
    """The running server and what it is made of."""

    port: int
    sink: Sink
    postfix: Path
    home: Path
    milter_port: int
    milter: subprocess.Popen[bytes] | None = None
    dkim: OpenDkim | None = None
    log: Path = field(default_factory=Path)

    @property
    def etc(self) -> Path:
        return self.postfix / "etc"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "BCCGUARD_HOME": str(self.home),
            "MAIL_CONFIG": str(self.etc),
        }

    def start_milter(self) -> None:
        """Start ``bccguard milter`` and wait until it listens."""
        self.log = self.home / "milter.log"
        with self.log.open("ab") as out:
            self.milter = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bccguard",
                    "milter",
                    "--listen",
                    f"inet:{self.milter_port}@127.0.0.1",
                ],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_listening(self.milter_port)

    def stop_milter(self, how: int = signal.SIGTERM) -> None:
        if self.milter is not None:
            self.milter.send_signal(how)
            self.milter.wait(15)
            self.milter = None

    def send(
        self,
        data: bytes,
        mail_from: str,
        recipients: Sequence[str],
        *,
        auth: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Submit ``data`` with swaks (SASL PLAIN as alice unless ``auth`` is off)."""
        message = self.home / f"out-{time.monotonic_ns()}.eml"
        message.write_bytes(data)
        command = [
            "swaks",
            "--server",
            f"127.0.0.1:{self.port}",
            "--from",
            mail_from,
            "--to",
            ",".join(recipients),
            "--data",
            f"@{message}",
            "--timeout",
            "60",
        ]
        if auth:
            command += [
                "--auth",
                "PLAIN",
                "--auth-user",
                USER,
                "--auth-password",
                PASSWORD,
            ]
        return subprocess.run(
            command,
            check=False,
            capture_output=True,
            text=True,
            errors="replace",  # swaks echoes the message, bytes as they are
            timeout=120,
        )

    def queue(self) -> list[dict[str, Any]]:
        """``postqueue -j``: what Postfix holds, defers or is delivering."""
        out = subprocess.run(
            ["postqueue", "-j"],
            capture_output=True,
            text=True,
            env=self.env(),
            check=True,
        ).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def held(self) -> list[dict[str, Any]]:
        return [m for m in self.queue() if m["queue_name"] == "hold"]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``bccguard milter ...`` as an administrator runs it."""
        return subprocess.run(
            [sys.executable, "-m", "bccguard", "milter", *args],
            check=False,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=120,
        )

    def flush(self) -> None:
        subprocess.run(
            ["postqueue", "-f"], env=self.env(), check=False, capture_output=True
        )

    def maillog(self) -> str:
        return (self.postfix / "maillog").read_text(errors="replace")


def milter_toml(etc: Path) -> str:
    return (
        "[milter]\n"
        f'queue_helper = ["{QUEUE_HELPER}"]\n'
        f'postfix_config = "{etc}"\n'
        'sendmail = "/usr/sbin/sendmail"\n'
        "brake_replies = 3\nbrake_minutes = 10\n"
    )


@contextmanager
def mail_server() -> Iterator[MailServer]:
    """Dovecot SASL, a sink, the milter and Postfix (submission with the milter)."""
    with ExitStack() as stack:
        root = Path(tempfile.mkdtemp(prefix="bccguard-milter-"))
        root.chmod(0o755)  # Dovecot's auth process reads its passwd file inside
        stack.callback(shutil.rmtree, root, True)
        sasl_port = free_port()
        (root / "dovecot").mkdir()
        dovecot = Dovecot(root / "dovecot", sasl_port=sasl_port)
        dovecot.start()
        stack.callback(dovecot.stop)
        wait_listening(sasl_port)
        sink = Sink()
        controller = LoopbackController(sink, data_size_limit=None)  # 50 MB mail
        controller.start()
        stack.callback(controller.stop)
        home = root / "home"
        home.mkdir(mode=0o700)
        (home / "config.toml").write_text(settings_toml())
        milter_port = free_port()
        port = free_port()
        milters = f"inet:127.0.0.1:{milter_port}"
        dkim = None
        if opendkim_available() is None:  # a DKIM signer after BccGuard, as advised
            dkim = OpenDkim(root / "opendkim", SIGNED_DOMAIN)
            dkim.start()
            stack.callback(dkim.stop)
            milters += f", {dkim.milter}"
        extra = (
            "smtpd_sasl_auth_enable = yes\n"
            "smtpd_sasl_type = dovecot\n"
            f"smtpd_sasl_path = inet:127.0.0.1:{sasl_port}\n"
            # mynetworks (127.0.0.0/8) may relay without SASL: the milter checks
            # such mail only when its settings trust that network.
            "smtpd_relay_restrictions = permit_sasl_authenticated, permit_mynetworks, "
            "reject\n"
            f"smtpd_milters = {milters}\n"
            f"non_smtpd_milters = {milters}\n"
            "milter_default_action = tempfail\n"
            # 5,000 recipients in one message (Postfix's default stops at 1,000).
            "smtpd_recipient_limit = 10000\n"
            "milter_protocol = 6\n"
        )
        postfix = stack.enter_context(postfix_relay(port, controller.port, extra))
        (home / "milter.toml").write_text(milter_toml(postfix / "etc"))
        server = MailServer(port, sink, postfix, home, milter_port, dkim=dkim)
        server.start_milter()
        stack.callback(server.stop_milter)
        yield server


def mail(sink: Sink) -> int:
    """Messages the sink got, the notices to senders (null sender) left out."""
    return sum(1 for r in list(sink.received) if r.mail_from not in ("", "<>"))


def wait_delivered(sink: Sink, count: int, timeout: float = 30.0) -> None:
    """Wait until the sink has ``count`` messages, notices not counted (Postfix
    delivers on its own, and a notice may come any time)."""
    deadline = time.monotonic() + timeout
    while mail(sink) < count and time.monotonic() < deadline:
        time.sleep(0.05)
