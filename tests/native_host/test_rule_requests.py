"""The native host gives the plugin the recipient rules and checks with them."""

from __future__ import annotations

from pathlib import Path

from bccguard.adapters import paths
from bccguard.adapters.settings_file import save_settings
from bccguard.core.rule_settings import ListSettings, RuleSettings
from bccguard.core.settings import Settings
from bccguard.native_host.requests import Requests

PARENTS = ListSettings("Parents 3B", ("anna@home.example", "Bruno@Other.example"))
RULES = (
    RuleSettings("Parents 3B", "bcc", lists=("Parents 3B", "Chess club")),
    RuleSettings("Staff", "never-hold", domains=("school.example",)),
    RuleSettings("Board", "threshold", addresses=("chair@gov.example",), threshold=1),
)


def _home(home: Path) -> Requests:
    save_settings(paths.config_file(home), Settings(lists=(PARENTS,), rules=RULES))
    return Requests(home)


def test_the_policy_answer_carries_the_rules_with_their_lists_members(
    home: Path,
) -> None:
    reply = _home(home).handle({"type": "policy", "sender": "me@school.example"})
    assert reply["ok"] is True
    assert reply["policy"]["rules"] == [
        {
            "name": "Parents 3B",
            "effect": "bcc",
            "addresses": ["anna@home.example", "bruno@other.example"],
            "domains": [],
            "lists": ["Parents 3B", "Chess club"],
        },
        {
            "name": "Staff",
            "effect": "never-hold",
            "addresses": [],
            "domains": ["school.example"],
            "lists": [],
        },
        {
            "name": "Board",
            "effect": "threshold",
            "threshold": 1,
            "addresses": ["chair@gov.example"],
            "domains": [],
            "lists": [],
        },
    ]


def test_a_check_says_which_rule_decided(home: Path) -> None:
    requests = _home(home)
    reply = requests.handle(
        {
            "type": "check",
            "sender": "me@school.example",
            "headers": {"to": "anna@home.example, bruno@other.example"},
        }
    )
    result = reply["result"]
    assert (result["verdict"], result["action"]) == ("hold", "convert")
    assert result["reasons"][0] == "rule 'Parents 3B' always sends Bcc"
    assert result["recipient_rule"] == {"name": "Parents 3B", "effect": "bcc"}
    # Overriding the threshold keeps the rules.
    staff = ", ".join(f"t{i}@school.example" for i in range(20))
    reply = requests.handle(
        {"type": "check", "headers": {"to": staff}, "policy": {"threshold": 3}}
    )
    assert reply["result"]["verdict"] == "pass"
    assert reply["result"]["recipient_rule"] == {
        "name": "Staff",
        "effect": "never-hold",
    }
