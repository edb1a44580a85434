"""The golden corpus: every message's verdict and counts, by the core and by the CLI.

The expectations in ``tests/data/corpus.json`` were worked out by hand from each
message and the rules of the check; see the ``note`` of an entry for the why.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.core.verdict import Decision, check
from tests.core.corpus import CORPUS, load_corpus, run_cli

ENTRIES = load_corpus()
NAMES = sorted(ENTRIES)
# A handful run through the real command line too (a subprocess each).
CLI_NAMES = [
    "outlook-semicolons.eml",
    "newsletter-wrong-300.eml",
    "colleagues-trusted.eml",
    "custom-threshold.eml",
    "stray-brackets.eml",
    "forwarded-message-attachment.eml",
    "empty.eml",
    "latin1-bytes-in-to.eml",
    "encoded-words-bare-addresses.eml",
    "resent-to-cc.eml",
    "own-address-in-capitals.eml",
]


def policy_for(entry: dict[str, Any]) -> Policy:
    return Policy.build(
        threshold=entry["threshold"], trusted_domains=entry["trusted_domains"]
    )


def test_corpus_is_complete() -> None:
    files = {
        p.name for p in CORPUS.glob("*.eml") if not p.name.endswith(".expected.eml")
    }
    assert files == set(ENTRIES)
    assert len(files) >= 45
    verdicts = {e["verdict"] for e in ENTRIES.values()}
    assert verdicts == {"pass", "hold"}


@pytest.mark.parametrize("name", NAMES)
def test_core_verdict(name: str) -> None:
    entry = ENTRIES[name]
    raw = (CORPUS / name).read_bytes()
    verdict = check(read_message(raw), policy_for(entry))
    result = verdict.to_json()
    assert result["verdict"] == entry["verdict"]
    assert result["visible_count"] == entry["visible_count"]
    assert result["hidden_count"] == entry["hidden_count"]
    assert result["exposed_count"] == entry["exposed_count"]
    assert result["visible"] == entry["visible"]
    assert result["rules"] == entry["rules"]
    assert verdict.held is (verdict.decision is Decision.HOLD)


@pytest.mark.parametrize("name", NAMES)
def test_malformed_recipients_never_pass_silently(name: str) -> None:
    entry = ENTRIES[name]
    message = read_message((CORPUS / name).read_bytes())
    if "unreadable-recipients" in entry["rules"]:
        assert message.doubtful
    else:
        assert not message.doubtful, [p.text for p in message.problems]


@pytest.mark.parametrize("name", CLI_NAMES)
def test_cli_check_json(name: str) -> None:
    entry = ENTRIES[name]
    args = ["check", "--json", "--threshold", str(entry["threshold"])]
    for domain in entry["trusted_domains"]:
        args += ["--trusted-domain", domain]
    done = run_cli(*args, str(CORPUS / name))
    assert done.stderr == b""
    result = json.loads(done.stdout)
    assert done.returncode == (1 if entry["verdict"] == "hold" else 0)
    for key in ("verdict", "visible_count", "hidden_count", "exposed_count", "visible"):
        assert result[key] == entry[key], key
    assert result["threshold"] == entry["threshold"]
    assert isinstance(result["reasons"], list)
    assert result["reasons"]


def test_cli_reads_stdin() -> None:
    raw = (CORPUS / "threshold-plus-one.eml").read_bytes()
    done = run_cli("check", "-", stdin=raw)
    assert done.returncode == 1
    assert done.stdout.startswith(b"HOLD: ")


def test_cli_text_output_on_pass() -> None:
    done = run_cli("check", str(CORPUS / "gmail-small-thread.eml"))
    assert done.returncode == 0
    assert done.stdout.startswith(b"PASS: ")


@pytest.mark.parametrize(
    "args",
    [
        ("check", "no-such-file.eml"),
        ("check", "--threshold", "many", "x.eml"),
        ("check", "--threshold", "-1", "x.eml"),
        ("check", "--trusted-domain", "gmail.com", "x.eml"),
        ("check",),
        ("no-such-command",),
        ("convert", str(CORPUS / "stray-brackets.eml")),
    ],
)
def test_cli_errors_are_one_line_without_traceback(args: tuple[str, ...]) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]


def test_a_recipient_header_of_pure_junk_holds() -> None:
    """Nobody can be counted, so nobody can be shown to be safe: fail closed."""
    raw = (
        b'From: me@x.example\r\nTo: "\x00\xff\xfe garbage\r\nSubject: s\r\n\r\nbody\r\n'
    )
    verdict = check(read_message(raw), Policy())
    assert verdict.held
    assert [f.rule for f in verdict.findings] == ["unreadable-recipients"]
