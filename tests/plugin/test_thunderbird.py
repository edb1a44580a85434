"""End to end: the built plugin in a real headless Thunderbird, sending over SMTP."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

import pytest

from bccguard.adapters.settings_file import save_settings
from bccguard.core.settings import PolicySettings, Settings
from bccguard.native_host.incidents import INCIDENTS_FILE
from bccguard.native_host.manifest import install
from tests.plugin.conftest import Thunderbird
from tests.plugin.thunderbird import SENDER, wait_for, write_managed_storage
from tests.support import UpstreamSink

pytestmark = pytest.mark.slow


def people(n: int, prefix: str = "p") -> list[str]:
    return [f"Person {i} <{prefix}{i}@{prefix}d{i}.example>" for i in range(n)]


def addresses(n: int, prefix: str = "p") -> set[str]:
    return {f"{prefix}{i}@{prefix}d{i}.example" for i in range(n)}


def visible(message: Message) -> set[str]:
    fields = message.get_all("To", []) + message.get_all("Cc", [])
    return {addr.lower() for _, addr in getaddresses(fields) if addr}


def received_one(upstream: UpstreamSink) -> Message:
    assert wait_for(lambda: len(upstream.received) >= 1)
    assert len(upstream.received) == 1
    return message_from_bytes(upstream.received[0].data)


def test_thirty_visible_recipients_are_converted_to_bcc(
    thunderbird: Thunderbird, upstream: UpstreamSink, tmp_path: Path
) -> None:
    write_managed_storage(tmp_path / "home", {"action": "convert"})
    run = thunderbird({"to": people(20), "cc": people(10, "c"), "subject": "Party"})
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    message = received_one(upstream)
    assert visible(message) == {SENDER}
    assert message["Cc"] is None
    assert message["Bcc"] is None  # Thunderbird never transmits Bcc
    envelope = {r.lower() for r in upstream.received[0].rcpt_tos}
    assert addresses(20) | addresses(10, "c") <= envelope
    assert len(envelope - {SENDER}) == 30


def test_block_does_not_send(
    thunderbird: Thunderbird, upstream: UpstreamSink, tmp_path: Path
) -> None:
    write_managed_storage(tmp_path / "home", {"action": "block"})
    run = thunderbird({"to": people(30), "subject": "Blocked"})
    assert run.result is not None, run.log
    assert run.result["outcome"] in ("refused", "timeout"), run.result
    assert upstream.received == []


def test_a_mailing_list_pill_is_expanded_and_counted(
    thunderbird: Thunderbird, upstream: UpstreamSink, tmp_path: Path
) -> None:
    # One visible pill, twelve people behind it: over the threshold of 10.
    write_managed_storage(tmp_path / "home", {"action": "convert"})
    members = sorted(addresses(12, "m"))
    run = thunderbird(
        {"to": [], "list": {"name": "Parents", "members": members}, "subject": "List"}
    )
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    assert run.result["to"] == ["Parents <Parents>"]  # how Thunderbird hands it over
    message = received_one(upstream)
    assert visible(message) == {SENDER}
    assert set(members) <= {r.lower() for r in upstream.received[0].rcpt_tos}


def test_under_the_threshold_passes_untouched(
    thunderbird: Thunderbird, upstream: UpstreamSink, tmp_path: Path
) -> None:
    write_managed_storage(tmp_path / "home", {"action": "block"})
    run = thunderbird({"to": people(10), "subject": "Small"})
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    message = received_one(upstream)
    assert visible(message) == addresses(10)


def test_the_desktop_app_policy_arrives_through_the_native_host(
    thunderbird: Thunderbird, upstream: UpstreamSink, tmp_path: Path
) -> None:
    # No enterprise policy: the desktop app's settings (threshold 3, convert) apply,
    # and the conversion is logged with the desktop app.
    bccguard_home = tmp_path / "bccguard-home"
    bccguard_home.mkdir()
    save_settings(
        bccguard_home / "config.toml",
        Settings(policy=PolicySettings(threshold=3, action="convert")),
    )
    install("Linux", user_home=tmp_path / "home", data_dir=bccguard_home)
    run = thunderbird(
        {"to": people(5), "subject": "Desktop"},
        env={"BCCGUARD_HOME": str(bccguard_home)},
    )
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    message = received_one(upstream)
    assert visible(message) == {SENDER}
    incidents_file = bccguard_home / INCIDENTS_FILE
    assert wait_for(incidents_file.exists)
    incident = json.loads(incidents_file.read_text(encoding="utf-8").splitlines()[0])
    assert (incident["outcome"], incident["exposed_count"]) == ("converted", 5)


def test_closing_the_question_popup_means_back_to_editing(
    thunderbird: Thunderbird, upstream: UpstreamSink, tmp_path: Path
) -> None:
    # Policy "ask": the plugin opens its popup; the driver closes it like a user would.
    write_managed_storage(tmp_path / "home", {"action": "ask"})
    run = thunderbird({"to": people(15), "subject": "Ask", "closePopup": True})
    assert run.result is not None, run.log
    assert run.result["popup"]["closed"], run.log
    assert run.result["popup"]["closed"][0].endswith("/popup/decision.html")
    assert run.result["outcome"] == "refused", run.log
    assert upstream.received == []
