"""Message-sized buffers go back to the system once freed (glibc)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Reads a 10 MiB message the way the proxy does (a growing buffer, then one
# copy), in a new worker thread each time, and says how much memory stays.
_READ_MESSAGES = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path

    def rss_mib():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024

    if sys.argv[1] == "tuned":
        from bccguard.adapters.heap import return_large_buffers_to_the_system
        assert return_large_buffers_to_the_system()
    before = rss_mib()
    line = b"x" * 76 + b"\\r\\n"

    def read_message():
        buffer = bytearray()
        for _ in range(10 * 2**20 // len(line)):
            buffer += line
        message = bytes(buffer)
        del buffer, message

    for _ in range(12):
        worker = threading.Thread(target=read_message)
        worker.start()
        worker.join()
    print(rss_mib() - before)
    """
)


def kept_mib(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _READ_MESSAGES, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_freed_messages_do_not_stay_in_the_process() -> None:
    kept = kept_mib("tuned")
    assert kept < 5, f"{kept} MiB kept; untuned: {kept_mib('untuned')} MiB"
