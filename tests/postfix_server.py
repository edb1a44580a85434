"""A private Postfix instance on 127.0.0.1 that relays everything to one port.

A real MTA: the upstream the relay meets in the tests (it offers PIPELINING and
answers as providers' servers do), and the proxy benchmark's comparison row. It
needs the `postfix` package and root (Postfix's master drops to the `postfix`
user); `available()` says whether both are there. The instance has its own
configuration, queue and log in a temporary folder and leaves the system's
Postfix alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import wait_listening

# Only what a relay needs; no chroot, no local delivery.
_SERVICES = """\
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def available() -> str | None:
    """None when a private Postfix can run here, else why not."""
    if not shutil.which("postfix"):
        return "Postfix is not installed"
    if os.geteuid() != 0:
        return "running Postfix needs root"
    return None


@contextmanager
def postfix_relay(port: int, relay_to: int, extra: str = "") -> Iterator[Path]:
    """Run Postfix listening on `port` and relaying to 127.0.0.1:`relay_to`.

    `extra` is added to main.cf. Yields the instance's folder (its `maillog`
    says what Postfix did).
    """
    with tempfile.TemporaryDirectory(prefix="bench-postfix-") as tmp:
        home = Path(tmp)
        etc, spool, data = home / "etc", home / "spool", home / "data"
        for folder in (etc, spool, data):
            folder.mkdir()
        shutil.chown(data, "postfix")
        home.chmod(0o755)
        (etc / "main.cf").write_text(
            f"compatibility_level = 3.6\n"
            f"queue_directory = {spool}\n"
            f"data_directory = {data}\n"
            f"maillog_file = {home}/maillog\n"
            f"maillog_file_prefixes = {home}\n"
            f"inet_interfaces = 127.0.0.1\n"
            f"inet_protocols = ipv4\n"
            f"myhostname = postfix.bench.localhost\n"
            f"mydestination =\n"
            f"mynetworks = 127.0.0.0/8\n"
            f"relayhost = [127.0.0.1]:{relay_to}\n"
            f"smtpd_relay_restrictions = permit_mynetworks, reject\n"
            f"alias_maps =\nalias_database =\nlocal_recipient_maps =\n"
            f"message_size_limit = 0\n"
            f"{extra}\n"
        )
        (etc / "master.cf").write_text(
            f"127.0.0.1:{port} inet n - n - - smtpd\n{_SERVICES}"
        )
        command = ["postfix", "-c", str(etc)]
        subprocess.run([*command, "start"], check=True, capture_output=True)
        try:
            wait_listening(port)
            yield home
        finally:
            subprocess.run([*command, "stop"], check=False, capture_output=True)
