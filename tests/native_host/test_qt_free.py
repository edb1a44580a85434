"""The native host starts without Qt and without the service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CODE = """
import sys
sys.modules["PySide6"] = None
import bccguard.native_host
import bccguard.native_host.cli
import bccguard.native_host.host
import bccguard.native_host.manifest
loaded = sorted(m for m in sys.modules if m.startswith(("PySide6.", "bccguard.ui",
    "bccguard.service", "bccguard.adapters.smtp", "aiosmtpd")))
print(",".join(loaded) or "clean")
"""


def test_importing_the_host_needs_no_qt_and_no_service() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CODE],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


POLICY = """
import json, sys
sys.modules["PySide6"] = None
from pathlib import Path
from bccguard.native_host.requests import Requests
reply = Requests(Path(sys.argv[1])).handle({"type": "policy"})
loaded = sorted(m for m in sys.modules if m.startswith(("PySide6.", "bccguard.ui",
    "bccguard.service", "bccguard.adapters.smtp", "aiosmtpd")))
print(json.dumps({"reply": reply, "loaded": loaded}))
"""


def test_the_policy_request_with_its_key_needs_no_qt_and_no_service(
    tmp_path: Path,
) -> None:
    # No OS keyring in this process: the local secret goes to a file in tmp_path.
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = subprocess.run(
        [sys.executable, "-c", POLICY, str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["loaded"] == []
    assert len(found["reply"]["decision_key"]) == 64
