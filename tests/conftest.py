"""Fixtures shared by every test package: a real upstream SMTP server and the guard."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from bccguard.adapters.demo_sink import free_port
from bccguard.core.incidents import IncidentLog
from bccguard.core.settings import ProxySettings, Settings
from bccguard.service import Guard
from tests.dovecot_server import Dovecot, TokenIntrospection
from tests.support import EventLog, GuardFactory, MemorySecrets, UpstreamSink


@pytest.fixture
def upstream() -> Iterator[UpstreamSink]:
    sink = UpstreamSink(free_port())
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=sink.port,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def make_guard(tmp_path: Path, upstream: UpstreamSink) -> Iterator[GuardFactory]:
    started: list[Guard] = []

    def make(
        settings: Settings | None = None,
        *,
        decision_timeout: float = 5.0,
        incidents: IncidentLog | None = None,
    ) -> Guard:
        base = settings or Settings()
        proxy = ProxySettings(port=free_port(), decision_timeout=decision_timeout)
        guard = Guard(
            tmp_path / "home",
            Settings(policy=base.policy, proxy=proxy, accounts=base.accounts),
            MemorySecrets(),
            EventLog(),
            upstream=upstream.config,
            incidents=incidents,
        )
        guard.start()
        started.append(guard)
        return guard

    yield make
    for guard in started:
        guard.stop()


@pytest.fixture
def guard(make_guard: GuardFactory) -> Guard:
    return make_guard()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    # Not under pytest's tmp folder: that is private to root, and Dovecot's mail
    # processes run as another user that must reach the mail folder.
    root = Path(tempfile.mkdtemp(prefix="bccguard-dovecot-"))
    server = Dovecot(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


OAUTH_TOKEN = "ya29.a-test-access-token"


@pytest.fixture
def dovecot_oauth() -> Iterator[Dovecot]:
    """Dovecot that also accepts XOAUTH2 with ``OAUTH_TOKEN`` for ``alice``."""
    introspection = TokenIntrospection(OAUTH_TOKEN)
    root = Path(tempfile.mkdtemp(prefix="bccguard-dovecot-"))
    server = Dovecot(root, introspection_url=introspection.url)
    server.start()
    yield server
    server.stop()
    introspection.stop()
    shutil.rmtree(root, ignore_errors=True)
