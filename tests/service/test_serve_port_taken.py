"""``bccguard serve`` on a port another program holds says so plainly, in the
user's language, and how to choose another port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bccguard.core.settings import LOOPBACK_HOST


def serve_on_taken_port(home: Path, language: str) -> subprocess.CompletedProcess[str]:
    with socket.socket() as other:
        other.bind((LOOPBACK_HOST, 0))
        other.listen()
        port = other.getsockname()[1]
        env = {**os.environ, "BCCGUARD_HOME": str(home), "LANGUAGE": language}
        env.pop("LC_ALL", None)
        result = subprocess.run(
            [sys.executable, "-m", "bccguard", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    result.args = port
    return result


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Another program already uses port {port} on this computer"),
        ("it", "Un altro programma usa già la porta {port} di questo computer"),
    ],
)
def test_serve_says_the_port_is_taken(
    tmp_path: Path, language: str, words: str
) -> None:
    result = serve_on_taken_port(tmp_path, language)
    port = result.args
    said = result.stderr.strip().splitlines()[-1]  # after the log's lines
    assert result.returncode == 2
    assert said.startswith(words.format(port=port))
    assert "--port" in said
    assert "Errno" not in said
