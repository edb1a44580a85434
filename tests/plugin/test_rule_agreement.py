"""Python and the plugin decide alike under generated recipient rules.

The rule vectors pin hand-worked cases; this adds a few thousand generated ones:
random recipients (people, colleagues in a trusted domain, subdomains, the sender,
a malformed entry) under random rule sets of every effect, written as the native
host gives them to the plugin, decided by both implementations and compared.
"""

from __future__ import annotations

import random
from typing import Any

from bccguard.core.message import read_message
from bccguard.core.policy import Action, Policy
from bccguard.core.recipient_rules import Effect, RecipientRule
from bccguard.core.verdict import check
from tests.plugin.node_agreement import disagreements, plugin_answers

PEOPLE = [
    *(f"p{i}@d{i % 3}.example" for i in range(8)),
    "T1@Team.Example",
    "t2@eu.team.example",
    "c1@corp.example",
    "ME@school.example",
    "Ann <ann@bücher.de>",
]
BROKEN = ["<broken", "x@y; z@w"]
DOMAINS = ["d0.example", "d1.example", "team.example", "bücher.de", "corp.example"]
KEYS = ("verdict", "action", "threshold", "exposed_count", "rules", "recipient_rule")


def _rules(rng: random.Random) -> list[dict[str, Any]]:
    rules = []
    for i in range(rng.randrange(0, 4)):
        effect = rng.choice([e.value for e in Effect])
        rule = RecipientRule.build(
            f"r{i}",
            Effect(effect),
            threshold=rng.randrange(0, 12),
            addresses=rng.sample(PEOPLE[:10], rng.randrange(0, 4)),
            domains=rng.sample(DOMAINS, rng.randrange(0, 2)),
        )
        if rule.addresses or rule.domains:
            rules.append(rule.to_json())
    return rules


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        to = rng.sample(PEOPLE, rng.randrange(1, 9))
        if rng.random() < 0.1:
            to.append(rng.choice(BROKEN))
        cases.append(
            {
                "headers": {"from": ["me@school.example"], "to": [", ".join(to)]},
                "policy": {
                    "threshold": rng.randrange(0, 8),
                    "trusted_domains": rng.choice([[], ["corp.example"]]),
                    "action": rng.choice([a.value for a in Action]),
                    "rules": _rules(rng),
                },
            }
        )
    return cases


def python_verdict(case: dict[str, Any]) -> dict[str, Any]:
    headers, values = case["headers"], case["policy"]
    raw = f"From: {headers['from'][0]}\r\nTo: {headers['to'][0]}\r\n\r\n"
    rules = [
        RecipientRule.build(
            r["name"],
            Effect(r["effect"]),
            threshold=r.get("threshold"),
            addresses=r["addresses"],
            domains=r["domains"],
        )
        for r in values["rules"]
    ]
    policy = Policy.build(
        threshold=values["threshold"],
        trusted_domains=values["trusted_domains"],
        action=Action(values["action"]),
        rules=rules,
    )
    data = check(read_message(raw.encode("utf-8")), policy).to_json()
    return {
        **{k: data[k] for k in KEYS},
        "rule_reasons": [r for r in data["reasons"] if r.startswith("rule '")],
    }


def test_generated_rule_cases_are_decided_alike() -> None:
    cases = generate(3000, seed=1791659)
    assert sum(1 for c in cases if c["policy"]["rules"]) > 2000
    plugin = plugin_answers("rule_check.mjs", cases)
    python = [python_verdict(case) for case in cases]
    assert {p["recipient_rule"]["effect"] for p in python if p["recipient_rule"]} == {
        e.value for e in Effect
    }
    differences = disagreements(cases, python, plugin)
    assert differences == [], differences[:3]
