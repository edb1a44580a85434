"""Requests: policy, check, record-incident and open-apology, against a real home."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from bccguard import cli
from bccguard.adapters import paths
from bccguard.adapters.secrets import (
    FileSecretStore,
    SecretStoreError,
    ensure_local_secret,
    open_secret_store,
)
from bccguard.adapters.settings_file import save_settings
from bccguard.core.decision_proof import make_proof, proof_key, verify_proof
from bccguard.core.settings import Account, PolicySettings, Settings
from bccguard.native_host.incidents import INCIDENTS_FILE
from bccguard.native_host.requests import Requests

PEOPLE = ", ".join(f"P{i} <p{i}@d{i}.example>" for i in range(12))


def write_policy(home: Path, **values: object) -> None:
    save_settings(
        paths.config_file(home),
        Settings(policy=PolicySettings(**values)),  # type: ignore[arg-type]
    )


def test_policy_defaults_without_a_config(home: Path) -> None:
    reply = Requests(home).handle({"type": "policy"})
    reply.pop("decision_key")
    assert reply == {
        "ok": True,
        "policy": {
            "threshold": 10,
            "trusted_domains": [],
            "action": "ask",
            "rules": [],
        },
    }


def test_policy_gives_the_decision_key_of_the_proxys_local_secret(home: Path) -> None:
    requests = Requests(home)
    first = requests.handle({"type": "policy"})["decision_key"]
    # The same secret the proxy reads (no secure keyring here: the private file).
    secret = ensure_local_secret(open_secret_store(home))
    assert isinstance(open_secret_store(home), FileSecretStore)
    assert first == proof_key(secret).hex()
    assert len(first) == 64
    assert requests.handle({"type": "policy"})["decision_key"] == first
    # A proof signed with the key the plugin gets is one the proxy accepts.
    people = ["A@x.example", "b@y.example"]
    proof = make_proof(bytes.fromhex(first), people, 1_700_000_000)
    assert verify_proof(proof, proof_key(secret), people, 1_700_000_030)


def test_policy_keeps_an_existing_local_secret(home: Path) -> None:
    FileSecretStore(home / "secrets.json").set("proxy-local-secret", "s3cret")
    reply = Requests(home).handle({"type": "policy"})
    assert reply["decision_key"] == proof_key("s3cret").hex()


def test_a_failing_secret_store_leaves_out_the_key_not_the_policy(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(home: Path) -> str:
        raise SecretStoreError("the keyring is locked")

    with caplog.at_level(logging.WARNING):
        reply = Requests(home, decision_key=broken).handle({"type": "policy"})
    assert reply["ok"] is True
    assert reply["policy"]["threshold"] == 10
    assert "decision_key" not in reply
    assert "secret store failed" in caplog.text


def test_an_unreadable_secrets_file_leaves_out_the_key(home: Path) -> None:
    (home / "secrets.json").write_text("not json", encoding="utf-8")
    reply = Requests(home).handle({"type": "policy"})
    assert reply["ok"] is True
    assert "decision_key" not in reply


def test_a_hanging_secret_store_leaves_out_the_key_in_time(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()

    def hangs(home: Path) -> str:
        release.wait(10)
        return "00" * 32

    requests = Requests(home, decision_key=hangs, decision_key_timeout=0.05)
    try:
        with caplog.at_level(logging.WARNING):
            reply = requests.handle({"type": "policy"})
    finally:
        release.set()
    assert reply["ok"] is True
    assert "decision_key" not in reply
    assert "took over" in caplog.text


def test_policy_from_the_desktop_settings(home: Path) -> None:
    write_policy(home, threshold=3, trusted_domains=("corp.example",), action="block")
    reply = Requests(home).handle({"type": "policy"})
    assert reply["policy"] == {
        "threshold": 3,
        "trusted_domains": ["corp.example"],
        "action": "block",
        "rules": [],
    }


def write_two_accounts(home: Path) -> None:
    accounts = (
        Account("work", "me@corp.example", "smtp.corp.example", threshold=40),
        Account("club", "me@club.example", "smtp.club.example", action="block"),
    )
    save_settings(
        paths.config_file(home),
        Settings(policy=PolicySettings(threshold=5), accounts=accounts),
    )


@pytest.mark.parametrize(
    ("sender", "threshold", "action"),
    [
        ("me@corp.example", 40, "ask"),  # the account's own threshold
        ("ME@Club.example", 5, "block"),  # its own action, in any case
        ("", 40, "ask"),  # not said: the first account, as the proxy does
    ],
)
def test_policy_is_the_one_the_proxy_applies_to_the_sender(
    home: Path, sender: str, threshold: int, action: str
) -> None:
    write_two_accounts(home)
    reply = Requests(home).handle({"type": "policy", "sender": sender})
    assert reply["policy"]["threshold"] == threshold
    assert reply["policy"]["action"] == action


def test_check_uses_the_senders_policy_from_the_headers(home: Path) -> None:
    write_two_accounts(home)
    headers = {"from": "Me <me@club.example>", "to": PEOPLE}
    result = Requests(home).handle({"type": "check", "headers": headers})["result"]
    assert result["threshold"] == 5


def test_a_sender_that_is_not_text_is_an_error_reply(home: Path) -> None:
    reply = Requests(home).handle({"type": "policy", "sender": 7})
    assert reply == {"ok": False, "error": "sender: must be a string"}


def test_policy_with_a_broken_config_is_an_error_reply(home: Path) -> None:
    paths.config_file(home).write_text("[policy]\nthreshold = -4\n", encoding="utf-8")
    reply = Requests(home).handle({"type": "policy"})
    assert reply["ok"] is False
    assert "policy.threshold" in reply["error"]


def test_check_gives_the_same_json_as_the_command_line(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = {"from": "Me <me@corp.example>", "to": PEOPLE, "cc": ["x@corp.example"]}
    reply = Requests(home).handle({"type": "check", "headers": headers})
    eml = tmp_path / "m.eml"
    eml.write_text(
        f"From: {headers['from']}\r\nTo: {PEOPLE}\r\nCc: x@corp.example\r\n\r\n",
        encoding="utf-8",
    )
    assert cli.main(["check", "--json", str(eml)]) == 1
    assert reply == {"ok": True, "result": json.loads(capsys.readouterr().out)}
    assert reply["result"]["verdict"] == "hold"
    assert reply["result"]["exposed_count"] == 13


def test_check_uses_the_desktop_policy_and_request_overrides(home: Path) -> None:
    write_policy(home, threshold=20)
    requests = Requests(home)
    result = requests.handle({"type": "check", "headers": {"to": PEOPLE}})["result"]
    assert (result["verdict"], result["threshold"]) == ("pass", 20)
    override = {"threshold": 11, "trusted_domains": ["d0.example"]}
    result = requests.handle(
        {"type": "check", "headers": {"to": PEOPLE}, "policy": override}
    )["result"]
    assert (result["verdict"], result["exposed_count"]) == ("pass", 11)


def test_check_cannot_be_tricked_by_a_line_break_into_another_field(
    home: Path,
) -> None:
    headers = {"to": "a@x.example\r\nBcc: " + PEOPLE}
    result = Requests(home).handle({"type": "check", "headers": headers})["result"]
    assert result["visible_count"] == 13


def test_check_accepts_a_raw_header_block(home: Path) -> None:
    raw = f"To: {PEOPLE}\r\nSubject: hi\r\n\r\n"
    result = Requests(home).handle({"type": "check", "headers": raw})["result"]
    assert (result["visible_count"], result["subject"]) == (12, "hi")


@pytest.mark.parametrize(
    "request_",
    [
        {"type": "check"},
        {"type": "check", "headers": {"x-evil": "a@b.example"}},
        {"type": "check", "headers": {"to": 5}},
        {
            "type": "check",
            "headers": {"to": "a@b.example"},
            "policy": {"threshold": "x"},
        },
        {"type": "check", "headers": {}, "policy": {"trusted_domains": ["gmail.com"]}},
        {"type": "record-incident", "incident": "nope"},
        {"type": "open-apology", "incident": "../../etc"},
        {"type": "open-apology"},
    ],
)
def test_bad_requests_get_error_replies(
    home: Path, request_: dict[str, object]
) -> None:
    reply = Requests(home).handle(request_)
    assert reply["ok"] is False
    assert reply["error"]


def test_record_incident_appends_a_json_line(home: Path) -> None:
    requests = Requests(home)
    first = requests.handle(
        {"type": "record-incident", "incident": {"kind": "hold", "exposed_count": 30}}
    )
    second = requests.handle({"type": "record-incident", "incident": {"kind": "x"}})
    lines = (home / INCIDENTS_FILE).read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["id"] for e in entries] == [first["id"], second["id"]]
    assert first["id"] != second["id"]
    assert entries[0]["exposed_count"] == 30
    assert entries[0]["recorded_at"].endswith("+00:00")


def test_open_apology_unavailable_without_the_command(home: Path) -> None:
    started: list[list[str]] = []
    requests = Requests(home, has_apologize=lambda: False, start=started.append)
    reply = requests.handle({"type": "open-apology", "incident": "abc123"})
    assert reply == {"ok": True, "opened": False, "reason": "unavailable"}
    assert started == []


def test_open_apology_starts_the_composer_detached(home: Path) -> None:
    started: list[list[str]] = []
    requests = Requests(home, has_apologize=lambda: True, start=started.append)
    reply = requests.handle({"type": "open-apology", "incident": "abc123"})
    assert reply == {"ok": True, "opened": True}
    assert started[0][1:] == ["-m", "bccguard", "apologize", "--incident", "abc123"]


def test_the_real_command_line_is_asked_whether_apologize_exists(home: Path) -> None:
    parser = cli.build_parser()
    names = {
        name
        for action in parser._actions
        for name in (getattr(action, "choices", None) or {})
    }
    reply = Requests(home, start=lambda argv: None).handle(
        {"type": "open-apology", "incident": "abc"}
    )
    assert reply["opened"] is ("apologize" in names)


def test_an_unexpected_failure_is_an_error_reply(home: Path) -> None:
    def explode() -> bool:
        raise RuntimeError("boom")

    reply = Requests(home, has_apologize=explode).handle(
        {"type": "open-apology", "incident": "abc"}
    )
    assert reply == {"ok": False, "error": "internal error: RuntimeError"}
