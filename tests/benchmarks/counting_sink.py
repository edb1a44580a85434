"""The upstream every benchmark sends to: it accepts everything and only counts."""

from __future__ import annotations

import time

from aiosmtpd.smtp import SMTP, Envelope, Session

from bccguard.adapters.demo_sink import OffersPipelining


class CountingSink(OffersPipelining):
    """Accepts everything and counts; keeps no message bytes.

    It offers PIPELINING, as providers do, unless made with ``pipelining=False``.
    """

    def __init__(self, *, pipelining: bool = True) -> None:
        self.count = 0
        self.pipelining = pipelining

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.count += 1
        return "250 2.0.0 ok"

    def wait_for(self, count: int, limit: float = 300.0) -> None:
        """Until the sink has counted `count` messages in all."""
        deadline = time.monotonic() + limit
        while self.count < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the sink has {self.count} of {count} messages")
            time.sleep(0.002)
