"""The native host starts without Qt and without the service."""

from __future__ import annotations

import subprocess
import sys

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
