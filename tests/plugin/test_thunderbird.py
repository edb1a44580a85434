"""End to end: the built plugin in a real headless Thunderbird, sending over SMTP."""

from __future__ import annotations

import json
import time
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

from bccguard.adapters.settings_file import save_settings
from bccguard.core.decision_proof import HEADER, verify_proof
from bccguard.core.settings import PolicySettings, Settings
from bccguard.native_host.incidents import INCIDENTS_FILE
from bccguard.native_host.manifest import install
from bccguard.native_host.requests import Requests
from tests.plugin.conftest import Thunderbird
from tests.plugin.thunderbird import (
    NO_OS_KEYRING,
    SENDER,
    visible,
    wait_for,
    write_managed_storage,
)
from tests.smtp_sink import SinkServer

pytestmark = pytest.mark.slow


def people(n: int, prefix: str = "p") -> list[str]:
    return [f"Person {i} <{prefix}{i}@{prefix}d{i}.example>" for i in range(n)]


def addresses(n: int, prefix: str = "p") -> set[str]:
    return {f"{prefix}{i}@{prefix}d{i}.example" for i in range(n)}


def received_one(upstream: SinkServer) -> Message:
    assert wait_for(lambda: len(upstream.received) >= 1)
    assert len(upstream.received) == 1
    return message_from_bytes(upstream.received[0].data)


def test_thirty_visible_recipients_are_converted_to_bcc(
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
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
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
) -> None:
    write_managed_storage(tmp_path / "home", {"action": "block"})
    run = thunderbird({"to": people(30), "subject": "Blocked"})
    assert run.result is not None, run.log
    assert run.result["outcome"] in ("refused", "timeout"), run.result
    assert upstream.received == []


def test_a_mailing_list_pill_is_expanded_and_counted(
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
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
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
) -> None:
    write_managed_storage(tmp_path / "home", {"action": "block"})
    run = thunderbird({"to": people(10), "subject": "Small"})
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    message = received_one(upstream)
    assert visible(message) == addresses(10)


def test_the_desktop_app_policy_arrives_through_the_native_host(
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
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
        env={"BCCGUARD_HOME": str(bccguard_home), **NO_OS_KEYRING},
    )
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    message = received_one(upstream)
    assert visible(message) == {SENDER}
    # The host gave the policy with a decision key (its local secret is in the
    # test's home), and a converted message carries no "send as is" proof.
    assert "proxy-local-secret" in json.loads(
        (bccguard_home / "secrets.json").read_text(encoding="utf-8")
    )
    assert message[HEADER] is None
    incidents_file = bccguard_home / INCIDENTS_FILE
    assert wait_for(incidents_file.exists)
    incident = json.loads(incidents_file.read_text(encoding="utf-8").splitlines()[0])
    assert (incident["outcome"], incident["exposed_count"]) == ("converted", 5)


def test_closing_the_question_popup_means_back_to_editing(
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
) -> None:
    # Policy "ask": the plugin opens its popup; the driver closes it like a user would.
    write_managed_storage(tmp_path / "home", {"action": "ask"})
    run = thunderbird({"to": people(15), "subject": "Ask", "closePopup": True})
    assert run.result is not None, run.log
    assert run.result["popup"]["closed"], run.log
    assert run.result["popup"]["closed"][0].endswith("/popup/decision.html")
    assert run.result["outcome"] == "refused", run.log
    assert upstream.received == []


def test_a_send_as_is_proof_arrives_and_verifies_with_the_hosts_key(
    thunderbird: Thunderbird,
    upstream: SinkServer,
    tmp_path: Path,
    no_os_keyring: None,
) -> None:
    # No policy path of the plugin sends a held message as is without the popup, so
    # the driver answers onBeforeSend the way the gate does after "Send as is"
    # (details.customHeaders, the plugin's proof module); the plugin lets this small
    # message pass. The header must survive Thunderbird's sending unchanged.
    bccguard_home = tmp_path / "bccguard-home"
    bccguard_home.mkdir()
    key = Requests(bccguard_home).handle({"type": "policy"})["decision_key"]
    write_managed_storage(tmp_path / "home", {"action": "block"})
    to = ["Alice <Alice@X.Example>", "bob@y.example", "Carol <carol@Z.example>"]
    expected = {"alice@x.example", "bob@y.example", "carol@z.example", "dan@w.example"}
    # What the gate hands over: the visible addresses, duplicates and case included.
    handed_over = [*sorted(expected), "BOB@Y.EXAMPLE"]
    run = thunderbird(
        {
            "to": to,
            "cc": ["Dan <DAN@w.example>"],
            "subject": "As is",
            "proof": {"key": key, "addresses": handed_over},
        }
    )
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    message = received_one(upstream)
    values = message.get_all(HEADER, [])
    assert len(values) == 1, message.as_string()[:2000]
    people = visible(message)
    assert people == expected
    assert verify_proof(str(values[0]), bytes.fromhex(key), people, time.time())
    assert not verify_proof(
        str(values[0]), bytes.fromhex(key), people | {"eve@v.example"}, time.time()
    )


def original_message(to: list[str], cc: list[str]) -> str:
    """A message as received from the boss, with these people visible in To and Cc."""
    lines = [
        "From: Boss <boss@corp.example>",
        f"To: {', '.join(to)}",
        *([f"Cc: {', '.join(cc)}"] if cc else []),
        "Subject: Team party",
        "Message-ID: <party-1@corp.example>",
        "Date: Tue, 03 Nov 2026 10:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "See you all on Friday.",
    ]
    return "\r\n".join(lines) + "\r\n"


def test_reply_all_to_a_wide_message_gets_its_own_warning(
    thunderbird: Thunderbird, upstream: SinkServer
) -> None:
    # The driver imports the message into Local Folders and replies to all, as a
    # user would; the plugin's reply-all guard asks in its popup (the driver
    # closes it: "back to editing" keeps the reply as it is).
    eml = original_message([SENDER, *people(12)], people(4, "c"))
    run = thunderbird({"reply": "replyToAll", "eml": eml})
    assert run.result is not None, run.log
    assert run.result["outcome"] == "replied", run.log
    assert (run.result["type"], run.result["relatedMessageId"]) == ("reply", True)
    # Thunderbird's reply-all: the boss and everyone else, without ourselves.
    assert len(run.result["to"]) + len(run.result["cc"]) == 17, run.result
    popup = run.result["popup"]
    assert popup["closed"], run.log
    assert popup["closed"][0].endswith("/popup/decision.html")
    assert popup["titles"] == ["BccGuard: You are about to write to all 17 people"]
    assert upstream.received == []


@pytest.mark.parametrize(
    ("reply", "to", "cc"),
    [
        ("replyToSender", [SENDER, *people(12)], people(4, "c")),
        ("replyToAll", [SENDER, *people(3)], []),
    ],
    ids=["reply-to-sender", "reply-all-to-few"],
)
def test_a_reply_to_the_sender_or_to_few_people_is_not_warned(
    thunderbird: Thunderbird, reply: str, to: list[str], cc: list[str]
) -> None:
    run = thunderbird(
        {"reply": reply, "eml": original_message(to, cc), "popupWaitMs": 6000}
    )
    assert run.result is not None, run.log
    assert run.result["outcome"] == "replied", run.log
    assert run.result["type"] == "reply"
    assert run.result["popup"] == {"closed": None}, run.result
