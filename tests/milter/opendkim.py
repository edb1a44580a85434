"""A real OpenDKIM signer (Debian's opendkim) as the milter after BccGuard's, and
the DNS record a verifier at the sink needs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from bccguard.adapters.demo_sink import free_port
from tests.support import wait_listening

SELECTOR = "test"


def available() -> str | None:
    """None when OpenDKIM can run here, else why not."""
    if not shutil.which("opendkim") or not shutil.which("opendkim-genkey"):
        return "opendkim and opendkim-tools are not installed"
    return None


class OpenDkim:
    """OpenDKIM signing mail from ``domain`` with a key made for the run."""

    def __init__(self, root: Path, domain: str) -> None:
        self.root = root
        self.domain = domain
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "opendkim-genkey",
                "-D",
                str(root),
                "-d",
                domain,
                "-s",
                SELECTOR,
                "-b",
                "2048",
            ],
            check=True,
            capture_output=True,
        )
        (root / f"{SELECTOR}.private").chmod(0o600)
        (root / "opendkim.conf").write_text(
            "Syslog no\n"
            "Mode s\n"
            f"Socket inet:{self.port}@127.0.0.1\n"
            f"Domain {domain}\n"
            f"Selector {SELECTOR}\n"
            f"KeyFile {root}/{SELECTOR}.private\n"
            "Canonicalization relaxed/relaxed\n"
            "InternalHosts 127.0.0.1\n"
            f"PidFile {root}/opendkim.pid\n"
            "SignHeaders From,To,Cc,Subject,Date,Message-ID,Reply-To\n"
            "OversignHeaders From\n"
            # The key of the run lives under the world-writable temporary folder,
            # which OpenDKIM's safe-key check refuses (rightly, for a real key).
            "RequireSafeKeys false\n"
        )

    @property
    def milter(self) -> str:
        """Postfix's name for it in smtpd_milters."""
        return f"inet:127.0.0.1:{self.port}"

    def start(self) -> None:
        with (self.root / "opendkim.log").open("wb") as log:
            self.process = subprocess.Popen(
                ["opendkim", "-f", "-x", str(self.root / "opendkim.conf")],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        wait_listening(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)
            self.process = None

    def dns_record(self) -> bytes:
        """The TXT record opendkim-genkey wrote, as one string."""
        text = (self.root / f"{SELECTOR}.txt").read_text()
        return "".join(re.findall(r'"([^"]*)"', text)).encode()

    def dnsfunc(self, name: bytes, timeout: int = 5) -> bytes:
        """A resolver for dkimpy that knows only this key."""
        wanted = f"{SELECTOR}._domainkey.{self.domain}.".encode()
        return self.dns_record() if name.rstrip(b".") + b"." == wanted else b""
