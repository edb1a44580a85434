"""[[rules]] and [[lists]] in config.toml: validated with key paths, written back."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from bccguard.adapters.settings_file import dumps, load_settings, save_settings
from bccguard.core.message import read_message
from bccguard.core.policy import Action
from bccguard.core.recipient_rules import Effect
from bccguard.core.rule_settings import addresses_from_text, domains_from_text
from bccguard.core.settings import (
    Account,
    Settings,
    SettingsError,
    settings_from_mapping,
)
from bccguard.core.verdict import check

CONFIG = """
[policy]
threshold = 10

[[accounts]]
name = "school"
email = "teacher@school.example"
smtp_host = "smtp.school.example"
threshold = 20

[[lists]]
name = "Parents 3B"
members = ["anna@home.example", "Bruno <bruno@other.example>"]

[[rules]]
name = "Parents 3B"
lists = ["parents 3b"]
effect = "bcc"

[[rules]]
name = "Staff"
domains = ["school.example"]
effect = "never-hold"

[[rules]]
name = "Governors"
addresses = ["chair@gov.example"]
effect = "threshold"
threshold = 2
"""


def _settings(text: str = CONFIG) -> Settings:
    return settings_from_mapping(tomllib.loads(text))


def test_rules_and_lists_are_read() -> None:
    settings = _settings()
    assert [li.name for li in settings.lists] == ["Parents 3B"]
    assert settings.lists[0].members == ("anna@home.example", "bruno@other.example")
    assert [(r.name, r.effect, r.threshold) for r in settings.rules] == [
        ("Parents 3B", "bcc", None),
        ("Staff", "never-hold", None),
        ("Governors", "threshold", 2),
    ]


def test_policy_for_resolves_a_rules_lists_into_its_members() -> None:
    policy = _settings().policy_for("teacher@school.example")
    assert policy.threshold == 20  # the account's, under the rules
    parents = policy.rules[0]
    assert parents.effect is Effect.BCC
    assert parents.addresses == frozenset({"anna@home.example", "bruno@other.example"})
    assert parents.lists == ("parents 3b",)
    raw = b"To: anna@home.example, bruno@other.example\r\n\r\n"
    verdict = check(read_message(raw), policy)
    assert (verdict.held, verdict.action) == (True, Action.CONVERT)


def test_a_saved_file_reads_back_the_same(tmp_path: Path) -> None:
    settings = _settings()
    path = tmp_path / "config.toml"
    save_settings(path, settings)
    assert load_settings(path) == settings
    assert dumps(load_settings(path)) == dumps(settings)
    assert "threshold = 2" in path.read_text(encoding="utf-8")


def test_rules_survive_a_change_elsewhere() -> None:
    settings = _settings()
    changed = settings.with_account(
        Account("home", "me@home.example", "smtp.home.example")
    )
    assert settings_from_mapping(tomllib.loads(dumps(changed))).rules == settings.rules


@pytest.mark.parametrize(
    ("table", "path", "words"),
    [
        ({"rules": [{"name": "x", "effect": "bcc"}]}, "rules[0]", "names no list"),
        (
            {"rules": [{"name": "x", "domains": ["a.example"], "effect": "often"}]},
            "rules[0].effect",
            "must be one of bcc, threshold, never-hold",
        ),
        (
            {"rules": [{"name": "x", "domains": ["a.example"], "effect": "threshold"}]},
            "rules[0].threshold",
            "whole number",
        ),
        (
            {
                "rules": [
                    {"name": "x", "domains": ["a.example"], "threshold": 3},
                ]
            },
            "rules[0].threshold",
            'only a rule with effect = "threshold"',
        ),
        (
            {
                "rules": [
                    {"name": "x", "domains": ["gmail.com"], "effect": "never-hold"}
                ]
            },
            "rules[0].domains[0]",
            "public mail domain",
        ),
        (
            {"rules": [{"name": "x", "addresses": ["nobody"]}]},
            "rules[0].addresses[0]",
            "not an e-mail address",
        ),
        (
            {"rules": [{"name": " ", "addresses": ["a@b.example"]}]},
            "rules[0].name",
            "required",
        ),
        (
            {"rules": [{"name": "x", "addresses": ["a@b.example"], "colour": 1}]},
            "rules[0].colour",
            "unknown setting",
        ),
        (
            {"lists": [{"name": "L", "members": ["a@b.example", "a, b@c"]}]},
            "lists[0].members[1]",
            "not an e-mail address",
        ),
        (
            {"lists": [{"name": "L"}, {"name": "l"}]},
            "lists[1].name",
            "another list has this name",
        ),
        ({"rules": {"name": "x"}}, "rules", "list of tables"),
    ],
)
def test_a_bad_rule_names_its_key(table: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping(table)
    assert caught.value.path == path
    assert words in str(caught.value)


def test_a_bcc_rule_may_cover_a_public_mail_domain() -> None:
    table = {"rules": [{"name": "x", "domains": ["gmail.com"], "effect": "bcc"}]}
    assert settings_from_mapping(table).rules[0].domains == ("gmail.com",)


def test_pasted_addresses_one_per_line_or_comma_separated() -> None:
    text = "anna@home.example, Bruno <bruno@other.example>\n\n  carla@x.example;\n"
    assert addresses_from_text(text) == [
        "anna@home.example",
        "bruno@other.example",
        "carla@x.example",
    ]
    with pytest.raises(ValueError, match="not an e-mail address: nobody"):
        addresses_from_text("anna@home.example\nnobody")
    assert domains_from_text("a.example, b.example\n c.example") == [
        "a.example",
        "b.example",
        "c.example",
    ]
