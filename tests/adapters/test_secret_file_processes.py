"""The private secret file, written by several BccGuard processes at once (the
proxy and the CLI storing rotated OAuth2 tokens): no write is lost."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bccguard.adapters.secrets import FileSecretStore

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys, time
from pathlib import Path
from bccguard.adapters.secrets import FileSecretStore
store, who, go = FileSecretStore(Path(sys.argv[1])), sys.argv[2], Path(sys.argv[3])
while not go.exists():
    time.sleep(0.005)
for i in range(60):
    store.set(f"oauth:{who}-{i}", "token")
"""


def test_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "home" / "secrets.json"
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), who, str(go)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("proxy", "watcher", "cli")
    ]
    time.sleep(0.5)
    go.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err[-2000:]
    store = FileSecretStore(path)
    missing = [
        f"{who}-{i}"
        for who in ("proxy", "watcher", "cli")
        for i in range(60)
        if store.get(f"oauth:{who}-{i}") is None
    ]
    assert missing == []
