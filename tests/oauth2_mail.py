"""Mail servers that take OAuth2 tokens the way providers' do, for the tests.

Dovecot's oauth2 passdb asks the authorization server (oidc-provider, RFC 7662
introspection, post mode) about each token, for IMAP and, through its SASL
service, for a Postfix submission server that relays what it accepts to a sink.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bccguard.adapters.demo_sink import free_port
from tests.dovecot_server import Dovecot
from tests.oauth2_server import MAIL_SERVER_CLIENT, AuthServer
from tests.postfix_server import postfix_relay
from tests.smtp_sink import LoopbackController, Sink
from tests.support import wait_listening


@dataclass
class OAuth2Mail:
    """The running servers: Postfix submission, Dovecot, and the sink behind."""

    smtp_port: int
    dovecot: Dovecot
    sink: Sink
    postfix_home: Path

    def postfix_log(self) -> str:
        """What Postfix did (its maillog)."""
        try:
            return (self.postfix_home / "maillog").read_text()
        except OSError:
            return ""

    def kick_imap(self, user: str) -> None:
        """End every IMAP session of ``user`` (the watchers log in again)."""
        subprocess.run(
            ["doveadm", "-c", str(self.dovecot.root / "dovecot.conf"), "kick", user],
            check=True,
            capture_output=True,
        )


@contextlib.contextmanager
def running_oauth2_mail(
    auth_server: AuthServer, *, postfix_extra: str = ""
) -> Iterator[OAuth2Mail]:
    """Dovecot (IMAP and SASL, oauth2 passdb) and Postfix submission on loopback."""
    client_id, secret = MAIL_SERVER_CLIENT
    host = auth_server.issuer.removeprefix("http://")
    sasl_port = free_port()
    root = Path(tempfile.mkdtemp(prefix="bccguard-dovecot-"))
    dovecot = Dovecot(
        root,
        introspection_url=f"http://{client_id}:{secret}@{host}/token/introspection",
        sasl_port=sasl_port,
        no_auth_penalty=True,
    )
    dovecot.start()
    sink = Sink()
    controller = LoopbackController(sink)
    controller.start()
    port = free_port()
    sasl = (
        "smtpd_sasl_auth_enable = yes\n"
        "smtpd_sasl_type = dovecot\n"
        f"smtpd_sasl_path = inet:127.0.0.1:{sasl_port}\n"
        "smtpd_relay_restrictions = permit_sasl_authenticated, reject\n"
        f"{postfix_extra}"
    )
    try:
        wait_listening(sasl_port)
        with postfix_relay(port, controller.port, sasl) as postfix_home:
            yield OAuth2Mail(port, dovecot, sink, postfix_home)
    finally:
        controller.stop()
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)
