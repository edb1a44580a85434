"""A real headless Thunderbird with a throwaway profile, the built plugin and a driver.

The profile counts as set up (one Local Folders account whose identity sends through
an SMTP server on 127.0.0.1), side-loads unsigned add-ons, and prints the add-ons'
console to stdout, where the driver extension reports what happened to its send.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import zipfile
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses
from pathlib import Path
from typing import Any

PLUGIN_ID = "bccguard@bccguard.org"
DRIVER_ID = "driver@tests.bccguard.org"
DRIVER_DIR = Path(__file__).resolve().parent / "driver"
PROOF_MODULE = DRIVER_DIR.parents[2] / "plugin" / "modules" / "decision_proof.js"
DRIVER_MARK = "BCCGUARD-DRIVER "
SENDER = "me@sender.example"
# The native host keeps its local secret in the test's BccGuard home, never in the
# keyring of the account running the tests.
NO_OS_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def visible(message: Message) -> set[str]:
    """The addresses a message shows in To and Cc, in lower case."""
    fields = message.get_all("To", []) + message.get_all("Cc", [])
    return {addr.lower() for _, addr in getaddresses(fields) if addr}


def profile_prefs(smtp_port: int) -> dict[str, object]:
    """Prefs for a profile with one identity sending through 127.0.0.1:smtp_port."""
    return {
        "mail.accountmanager.accounts": "account1",
        "mail.accountmanager.defaultaccount": "account1",
        "mail.accountmanager.localfoldersserver": "server1",
        "mail.account.account1.server": "server1",
        "mail.account.account1.identities": "id1",
        "mail.server.server1.type": "none",
        "mail.server.server1.hostname": "Local Folders",
        "mail.server.server1.name": "Local Folders",
        "mail.server.server1.userName": "nobody",
        "mail.identity.id1.useremail": SENDER,
        "mail.identity.id1.fullName": "Test Sender",
        "mail.identity.id1.smtpServer": "smtp1",
        "mail.identity.id1.fcc": False,
        "mail.identity.id1.compose_html": False,
        "mail.smtpservers": "smtp1",
        "mail.smtp.defaultserver": "smtp1",
        "mail.smtpserver.smtp1.hostname": "127.0.0.1",
        "mail.smtpserver.smtp1.port": smtp_port,
        "mail.smtpserver.smtp1.authMethod": 1,
        "mail.smtpserver.smtp1.try_ssl": 0,
        "mail.smtpserver.smtp1.username": "",
        "extensions.autoDisableScopes": 0,
        "xpinstall.signatures.required": False,
        "devtools.console.stdout.content": True,
        "devtools.console.stdout.chrome": True,
        "mail.shell.checkDefaultClient": False,
        "mailnews.start_page.enabled": False,
        "app.update.enabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.enabled": False,
        "browser.search.region": "US",
        "browser.region.update.enabled": False,
        "offline.autoDetect": False,
        "offline.startup_state": 2,
    }


def write_prefs(profile: Path, prefs: dict[str, object]) -> None:
    lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});" for k, v in prefs.items()]
    (profile / "user.js").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_driver(target: Path, scenario: dict[str, Any]) -> None:
    """The driver extension with this run's scenario.json (and the plugin's proof
    module, for a scenario that adds the proof header the way the plugin's gate does).
    """
    with zipfile.ZipFile(target, "w") as archive:
        for name in ("manifest.json", "background.js"):
            archive.write(DRIVER_DIR / name, name)
        archive.write(PROOF_MODULE, "decision_proof.js")
        archive.writestr("scenario.json", json.dumps(scenario))


def write_managed_storage(home: Path, data: dict[str, Any]) -> None:
    """Enterprise policy for the plugin, as a managed-storage native manifest."""
    folder = home / ".mozilla" / "managed-storage"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": PLUGIN_ID,
        "description": "BccGuard policy",
        "type": "storage",
        "data": data,
    }
    (folder / f"{PLUGIN_ID}.json").write_text(json.dumps(manifest), encoding="utf-8")


@dataclass
class Run:
    """One Thunderbird run: the driver's report and everything it printed."""

    result: dict[str, Any] | None
    output: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        return "\n".join(self.output[-80:])


def run_thunderbird(
    workdir: Path,
    *,
    xpi: Path,
    smtp_port: int,
    scenario: dict[str, Any],
    env: dict[str, str] | None = None,
    prefs: dict[str, object] | None = None,
    timeout: float = 90.0,
) -> Run:
    """Start Thunderbird, wait for the driver's report, and stop it; ``prefs`` are
    added to (or override) the profile's."""
    profile = workdir / "profile"
    extensions = profile / "extensions"
    extensions.mkdir(parents=True)
    write_prefs(profile, {**profile_prefs(smtp_port), **(prefs or {})})
    shutil.copyfile(xpi, extensions / f"{PLUGIN_ID}.xpi")
    build_driver(extensions / f"{DRIVER_ID}.xpi", scenario)
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    environment = {
        **os.environ,
        "HOME": str(home),
        "TMPDIR": str(workdir),
        "MOZ_CRASHREPORTER_DISABLE": "1",
        **(env or {}),
    }
    command = ["thunderbird", "--headless", "--no-remote", "--profile", str(profile)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=environment,
        start_new_session=True,  # its own process group, so it can be stopped whole
    )
    run = Run(result=None)
    reported = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            run.output.append(line)
            if DRIVER_MARK in line and run.result is None:
                run.result = driver_report(line)
                reported.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        reported.wait(timeout)
    finally:
        stop(process)
        reader.join(10)
        if process.stdout is not None:
            process.stdout.close()
    return run


def driver_report(line: str) -> dict[str, Any]:
    """The driver's JSON from a console line (Thunderbird may print it as a string)."""
    start = line.index(DRIVER_MARK)
    if start > 0 and line[start - 1] == '"':
        text, _ = json.JSONDecoder().raw_decode(line, start - 1)
        line, start = text, 0
    report: dict[str, Any] = json.loads(line[start + len(DRIVER_MARK) :])
    return report


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    except ProcessLookupError:
        pass


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())
