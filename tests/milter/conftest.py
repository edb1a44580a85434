"""Fixtures of the milter's tests: one real mail server for all of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.milter.mail_server import MailServer, mail_server
from tests.postfix_server import available


@pytest.fixture(scope="session")
def server() -> Iterator[MailServer]:
    """Postfix submission (Dovecot SASL) → bccguard milter → Postfix → sink."""
    why = available()
    if why is not None:
        pytest.skip(why)
    with mail_server() as running:
        yield running
