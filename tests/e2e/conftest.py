"""The scriptable upstream the end-to-end runs of ``bccguard serve`` send to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.fault_upstream import running_sink
from tests.smtp_sink import SinkServer


@pytest.fixture
def sink() -> Iterator[SinkServer]:
    with running_sink() as server:
        yield server
