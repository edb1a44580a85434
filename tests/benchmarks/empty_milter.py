"""A pymilter milter that does nothing but answer, with the same callbacks as
BccGuard's: the benchmark's floor for what the milter protocol itself costs.

Run: python tests/benchmarks/empty_milter.py inet:PORT@127.0.0.1
"""

from __future__ import annotations

import sys
from typing import Any

import Milter


class Empty(Milter.Base):  # type: ignore[misc]
    @Milter.noreply  # type: ignore[misc]
    def connect(self, hostname: str, family: int, hostaddr: Any) -> int:
        return int(Milter.CONTINUE)

    def envfrom(self, mail_from: str, *params: str) -> int:
        return int(Milter.CONTINUE)

    @Milter.noreply  # type: ignore[misc]
    def envrcpt(self, recipient: str, *params: str) -> int:
        return int(Milter.CONTINUE)

    def data(self) -> int:
        return int(Milter.CONTINUE)

    @Milter.noreply  # type: ignore[misc]
    @Milter.decode("bytes")  # type: ignore[misc]
    def header(self, name: str, value: bytes) -> int:
        return int(Milter.CONTINUE)

    def eom(self) -> int:
        return int(Milter.ACCEPT)


if __name__ == "__main__":
    Milter.factory = Empty
    Milter.set_flags(Milter.ADDHDRS + Milter.CHGHDRS + Milter.QUARANTINE)
    Milter.runmilter("empty", sys.argv[1], 60)
