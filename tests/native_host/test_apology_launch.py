"""The "Write an apology" path through the real native host and the real command line.

The host runs through the launcher ``install-thunderbird`` writes, one process per
request as Thunderbird starts them. The apology composer it starts is intercepted
before it opens a window: a ``sitecustomize`` module on PYTHONPATH (for these
processes only) records the arguments of ``python -m bccguard apologize ...`` and
exits; the host itself runs unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.core.incidents import IncidentKind
from bccguard.native_host import EXTENSION_ID
from bccguard.native_host.manifest import Installation, install
from tests.native_host.conftest import frame, replies

RECORDER = """
import json, os, sys
if "apologize" in sys.argv:
    with open(os.environ["BCCGUARD_TEST_APOLOGIZE_RECORD"], "w", encoding="utf-8") as f:
        json.dump({"argv": sys.argv, "home": os.environ.get("BCCGUARD_HOME")}, f)
    os._exit(0)
"""

# What the plugin's "Write an apology" sends for a sent message with 12 people visible.
PEOPLE = [f"p{i}@d{i % 3}.example" for i in range(12)]
AFTER_THE_FACT = {
    "source": "thunderbird",
    "kind": "after-the-fact",
    "message_id": "abc@myorg.example",
    "subject": "Party",
    "sender": "me@myorg.example",
    "exposed": PEOPLE,
    "visible_count": 12,
    "domains": ["d0.example", "d1.example", "d2.example"],
}


@pytest.fixture
def host(tmp_path: Path) -> tuple[Installation, dict[str, str], Path]:
    """The installed host, the environment Thunderbird would give it, the record."""
    done = install(
        "Linux",
        user_home=tmp_path / "u",
        data_dir=tmp_path / "d",
        python=sys.executable,
    )
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    (fakes / "sitecustomize.py").write_text(RECORDER, encoding="utf-8")
    record = tmp_path / "apologize.json"
    env = {
        **os.environ,
        "BCCGUARD_HOME": str(tmp_path / "home"),
        "PYTHONPATH": os.pathsep.join([str(fakes), os.environ.get("PYTHONPATH", "")]),
        "BCCGUARD_TEST_APOLOGIZE_RECORD": str(record),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "QT_QPA_PLATFORM": "offscreen",  # never a window, whatever happens
    }
    return done, env, record


def ask(done: Installation, env: dict[str, str], request: dict[str, Any]) -> Any:
    """One request to a fresh host process, as Thunderbird sends each one."""
    result = subprocess.run(
        [str(done.launcher), str(done.manifest), EXTENSION_ID],
        input=frame(request),
        capture_output=True,
        env=env,
        timeout=60,
        check=True,
    )
    [reply] = replies(result.stdout)
    return reply


def wait_for_file(path: Path, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not path.exists():
        time.sleep(0.1)
    return path.exists()


def test_open_apology_starts_bccguard_apologize_for_a_recorded_incident(
    host: tuple[Installation, dict[str, str], Path], tmp_path: Path
) -> None:
    done, env, record = host
    recorded = ask(done, env, {"type": "record-incident", "incident": AFTER_THE_FACT})
    assert recorded["ok"] is True, recorded
    incident_id = recorded["id"]
    reply = ask(done, env, {"type": "open-apology", "incident": incident_id})
    assert reply == {"ok": True, "opened": True}
    assert wait_for_file(record), "the apology composer was not started"
    started = json.loads(record.read_text(encoding="utf-8"))
    # `python -m bccguard apologize --incident ID` (argv[0] is "-m" this early).
    assert started["argv"] == ["-m", "apologize", "--incident", incident_id]
    assert started["home"] == str(tmp_path / "home")
    # The real `bccguard apologize` finds that incident (--print: no window).
    command = ["-m", "bccguard", "apologize", "--incident", incident_id, "--print"]
    printed = subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        env={k: v for k, v in env.items() if k != "PYTHONPATH"},
        timeout=60,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    assert "Party" in printed.stdout, printed.stdout
    incident = SqliteIncidentLog.in_home(tmp_path / "home").get(incident_id)
    assert incident is not None
    assert (incident.kind, incident.exposed_count) == (
        IncidentKind.DETECTED_IN_SENT,
        12,
    )
    assert set(incident.exposed) == set(PEOPLE)
    assert incident.domains == (("d0.example", 4), ("d1.example", 4), ("d2.example", 4))


def test_open_apology_for_a_bad_id_is_a_clear_error_and_starts_nothing(
    host: tuple[Installation, dict[str, str], Path],
) -> None:
    done, env, record = host
    reply = ask(done, env, {"type": "open-apology", "incident": "../../etc/passwd"})
    assert reply == {"ok": False, "error": "incident: must be an incident id"}
    time.sleep(1.0)
    assert not record.exists()
