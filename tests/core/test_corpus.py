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
from tests.core.corpus import CORPUS, load_corpus, run_cli, start_cli

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
    "not-a-message-binary.eml",
    "not-a-message-text.eml",
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
    assert {e.get("cli", "verdict") for e in ENTRIES.values()} == {"verdict", "error"}


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
    if entry.get("cli") == "error":  # not a message: an error, never a verdict
        assert done.returncode == 2
        assert done.stdout == b""
        lines = done.stderr.decode().splitlines()
        assert len(lines) == 1, lines
        assert lines[0] == f"{CORPUS / name} is not a message: " + (
            "it is empty" if name == "empty.eml" else "it has no header field"
        )
        return
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
        ("convert", str(CORPUS / "not-a-message-binary.eml")),
        ("convert", str(CORPUS / "empty.eml")),
        ("check", str(CORPUS / "not-a-message-text.eml")),
    ],
)
def test_cli_errors_are_one_line_without_traceback(args: tuple[str, ...]) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]


@pytest.mark.parametrize(
    ("args", "code"),
    [(("check", "--json"), 1), (("check",), 1), (("convert",), 2)],
    ids=["check-json", "check", "convert"],
)
def test_output_to_a_closed_pipe_ends_quietly(args: tuple[str, ...], code: int) -> None:
    # ``bccguard check --json FILE | head -1``: the reader is gone before the end.
    process = start_cli(*args, str(CORPUS / "newsletter-wrong-300.eml"))
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()
    with process.stderr:
        errors = process.stderr.read()
    assert process.wait(60) == code  # a check still says pass or hold
    assert errors == b""


@pytest.mark.parametrize(
    "raw",
    [b"", b"\r\n", b" \t\r\n\r\n", bytes(range(256)) * 4, b"no header here\n\nbody\n"],
    ids=["empty", "blank-line", "white-space", "binary", "text"],
)
def test_input_that_is_not_a_message_is_held_with_the_reason(raw: bytes) -> None:
    message = read_message(raw)
    assert message.not_a_message is not None
    verdict = check(message, Policy(threshold=0))
    assert verdict.held
    assert [f.rule for f in verdict.findings] == ["not-a-message"]
    assert verdict.reasons[0].startswith("not a message: ")


def test_a_header_field_makes_a_message() -> None:
    assert read_message(b"X-Anything: 1\r\n\r\n").not_a_message is None
    assert (
        read_message(
            b"From x Tue Jun 11 09:14:03 2024\nTo: a@x.example\n"
        ).not_a_message
        is None
    )


def test_a_recipient_header_of_pure_junk_holds() -> None:
    """Nobody can be counted, so nobody can be shown to be safe: fail closed."""
    raw = (
        b'From: me@x.example\r\nTo: "\x00\xff\xfe garbage\r\nSubject: s\r\n\r\nbody\r\n'
    )
    verdict = check(read_message(raw), Policy())
    assert verdict.held
    assert [f.rule for f in verdict.findings] == ["unreadable-recipients"]
