"""A throwaway Dovecot IMAP server on 127.0.0.1, for tests that need a real one.

Runs unprivileged-style in a temporary folder; as root (CI) it uses the packaged
``dovenull``/``dovecot`` users, since imap-login refuses to run as root.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from imapclient import IMAPClient

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.imap_connection import ImapEndpoint
from bccguard.core.settings import Account

USER = "alice"
PASSWORD = "secret"

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = bccguard-test-{port}
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login{mechanisms}
shutdown_clients = yes
{users}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
protocol imap {{
  imap_idle_notify_interval = 1 secs
}}
"""


class Dovecot:
    """Start, stop and restart a Dovecot instance in ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        introspection_url: str = "",
        tls_cert: tuple[str, str] | None = None,
        sasl_port: int = 0,
        no_auth_penalty: bool = False,
    ) -> None:
        """``tls_cert``: (certificate chain PEM, key PEM) to offer implicit TLS too;
        ``sasl_port``: offer Dovecot's SASL service to Postfix on that port;
        ``no_auth_penalty``: no growing delay after failed logins (Dovecot's
        anvil would slow every later login of the test by up to 15 s)."""
        if shutil.which("dovecot") is None:
            raise RuntimeError(
                "dovecot is not installed (see .ci/install-system-packages)"
            )
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        root.chmod(0o755)
        for name in ("run", "state", "mail"):
            (root / name).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            users = "default_login_user = dovenull\ndefault_internal_user = dovecot"
            uid = gid = 65534
            os.chown(root / "mail", uid, gid)
        else:
            name = os.environ.get("USER") or "nobody"
            users = f"default_login_user = {name}\ndefault_internal_user = {name}"
            uid, gid = os.getuid(), os.getgid()
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:::::\n")
        oauth = ""
        if introspection_url:
            (root / "oauth2.conf.ext").write_text(
                "introspection_mode = post\n"
                f"introspection_url = {introspection_url}\n"
                "username_attribute = username\n"
                "active_attribute = active\nactive_value = true\n"
            )
            oauth = (
                "passdb {\n  driver = oauth2\n  mechanisms = xoauth2\n"
                f"  args = {root}/oauth2.conf.ext\n}}\n"
            )
        self.tls_port = free_port() if tls_cert else 0
        ssl_setting = "ssl = no"
        if tls_cert is not None:
            (root / "cert.pem").write_text(tls_cert[0])
            (root / "key.pem").write_text(tls_cert[1])
            ssl_setting = (
                f"ssl = yes\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem"
            )
        config = _CONFIG.format(
            ssl=ssl_setting,
            tls_port=self.tls_port,
            root=root,
            port=self.port,
            users=users,
            uid=uid,
            gid=gid,
            mechanisms=" xoauth2" if oauth else "",
            oauth_passdb=oauth,
        )
        if sasl_port:  # Postfix's smtpd_sasl_path = inet:127.0.0.1:PORT
            config += (
                "service auth {\n  inet_listener sasl {\n    address = 127.0.0.1\n"
                f"    port = {sasl_port}\n  }}\n}}\n"
            )
        if no_auth_penalty:
            # Dovecot's documented way: no socket, no penalty.
            config = config.replace(
                "service anvil {\n  chroot =\n}",
                "service anvil {\n  chroot =\n"
                "  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}",
            )
        (root / "dovecot.conf").write_text(config)
        subprocess.run(
            ["doveconf", "-c", str(root / "dovecot.conf"), "-n"],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # stop() ends the mail processes too
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(15)
            self.process = None

    def append(
        self, folder: str, *messages: bytes, when: datetime | None = None
    ) -> None:
        """APPEND ``messages`` to ``folder`` as a mail client would."""
        with IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10) as client:
            client.login(USER, PASSWORD)
            if when is None and len(messages) > 1:  # MULTIAPPEND (RFC 3502)
                for start in range(0, len(messages), 1000):
                    client.multiappend(folder, list(messages[start : start + 1000]))
                return
            for data in messages:
                client.append(folder, data, msg_time=when)

    def endpoint(
        self, secret: str = PASSWORD, *, tls: str = "none", **options: Any
    ) -> ImapEndpoint:
        """How BccGuard logs in here: plain by default, ``tls="implicit"`` for the
        TLS port, ``tls="starttls"``; ``options`` as for :class:`ImapEndpoint`."""
        port = self.tls_port if tls == "implicit" else self.port
        return ImapEndpoint(
            host="127.0.0.1",
            port=port,
            tls=tls,
            username=USER,
            password=lambda: secret,
            timeout=10,
            **options,
        )

    def account(self, name: str = "home", email: str = "me@me.example") -> Account:
        """A BccGuard account whose mailbox is this server (plain IMAP on loopback)."""
        return Account(
            name,
            email,
            "smtp.me.example",
            imap_host="127.0.0.1",
            imap_port=self.port,
            imap_tls="none",
            imap_username=USER,
        )

    def log(self) -> str:
        try:
            return (self.root / "dovecot.log").read_text()[-2000:]
        except OSError:
            return ""


class TokenIntrospection:
    """An OAuth2 token introspection endpoint (RFC 7662) on 127.0.0.1 for Dovecot's
    oauth2 passdb: one token is active, for ``USER``."""

    def __init__(self, token: str) -> None:
        good = token

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                active = form.get("token") == [good]
                body = json.dumps({"active": active, "username": USER}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/introspect"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def mass_mail(
    count: int, message_id: str = "<party@me.example>", extra: str = ""
) -> bytes:
    """A message from me@me.example showing ``count`` strangers in To."""
    to = ", ".join(f"Person {i} <p{i}@s{i % 9}.example>" for i in range(count))
    return (
        f"From: Me <me@me.example>\r\nTo: {to}\r\nSubject: Party {message_id}\r\n"
        f"Message-ID: {message_id}\r\n{extra}\r\nhello\r\n"
    ).encode()
