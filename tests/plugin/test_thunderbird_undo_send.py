"""Undo send in a real headless Thunderbird, and its proof at the real proxy.

The enterprise policy asks for a 5 s delay; nobody presses Undo, so the message
goes when the countdown ends, carrying a "delayed" proof made with the native
host's key. The same bytes submitted to BccGuard's proxy, whose account waits
60 s, go straight through: the delay is never waited twice.
"""

from __future__ import annotations

import smtplib
import time
from email import message_from_bytes
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.secrets import open_secret_store
from bccguard.core.decision_proof import HEADER, proven_decisions
from bccguard.core.settings import Account, ProxySettings, Settings
from bccguard.native_host.manifest import install
from bccguard.native_host.requests import Requests
from bccguard.service import Guard
from tests.plugin.conftest import Thunderbird
from tests.plugin.thunderbird import (
    NO_OS_KEYRING,
    SENDER,
    visible,
    wait_for,
    write_managed_storage,
)
from tests.smtp_sink import SinkServer
from tests.support import EventLog

pytestmark = pytest.mark.slow

TO = ["Ann <ann@a.example>", "bob@b.example", "Cy <cy@c.example>"]


def test_the_countdown_ends_and_the_message_goes_with_its_delay_proven(
    thunderbird: Thunderbird,
    upstream: SinkServer,
    tmp_path: Path,
    no_os_keyring: None,
) -> None:
    bccguard_home = tmp_path / "bccguard-home"
    bccguard_home.mkdir()
    key = bytes.fromhex(
        Requests(bccguard_home).handle({"type": "policy"})["decision_key"]
    )
    install("Linux", user_home=tmp_path / "home", data_dir=bccguard_home)
    write_managed_storage(tmp_path / "home", {"sendDelay": 5})
    run = thunderbird(
        {"to": TO, "subject": "Lunch", "sendTimeoutMs": 60000},
        env={"BCCGUARD_HOME": str(bccguard_home), **NO_OS_KEYRING},
    )
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    assert wait_for(lambda: len(upstream.received) == 1)
    data = upstream.received[0].data
    message = message_from_bytes(data)
    (value,) = message.get_all(HEADER, [])
    people = visible(message)
    assert people == {"ann@a.example", "bob@b.example", "cy@c.example"}
    # Made only once the countdown was over (its popup was left alone).
    assert proven_decisions(str(value), key, people, time.time()) == {"delayed"}

    # The proxy of an account that waits 60 s: the proven delay is not waited again.
    account = Account(
        name="me", email=SENDER, smtp_host="127.0.0.1", smtp_tls="none", undo_delay=60
    )
    settings = Settings(proxy=ProxySettings(port=free_port()), accounts=(account,))
    guard = Guard(
        bccguard_home,  # the native host's home: the same local secret, the same key
        settings,
        open_secret_store(bccguard_home),
        EventLog(),
        upstream=upstream.upstream(),
    )
    guard.start()
    try:
        with smtplib.SMTP("127.0.0.1", guard.proxy.port, timeout=30) as client:
            client.login("me", guard.local_secret)
            client.mail(SENDER)
            for rcpt in sorted(people):
                client.rcpt(rcpt)
            code, _ = client.data(data)
        assert code == 250
        assert guard.engine.all() == []  # no countdown: straight through
    finally:
        guard.stop()
    assert len(upstream.received) == 2
    assert HEADER.encode() not in upstream.received[1].data.partition(b"\r\n\r\n")[0]
