"""The recipient-rule vectors shared with the plugin hold for the Python core, read
from the rules as the native host gives them (addresses already keys)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bccguard.core.message import read_message
from bccguard.core.policy import Action, Policy
from bccguard.core.recipient_rules import Effect, RecipientRule
from bccguard.core.verdict import check
from tests.core.corpus import DATA

VECTORS: list[dict[str, Any]] = json.loads(
    (DATA / "shared_vectors.json").read_text(encoding="utf-8")
)["rule_vectors"]


def _rule(values: dict[str, Any]) -> RecipientRule:
    return RecipientRule.build(
        values["name"],
        Effect(values["effect"]),
        threshold=values.get("threshold"),
        addresses=values["addresses"],
        domains=values["domains"],
        lists=values["lists"],
    )


def test_the_rule_vectors_cover_every_effect_and_outcome() -> None:
    effects = {r["effect"] for v in VECTORS for r in v["policy"]["rules"]}
    assert effects == {e.value for e in Effect}
    outcomes = {(v["expected"]["verdict"], v["expected"]["action"]) for v in VECTORS}
    assert outcomes >= {("hold", "convert"), ("hold", "ask"), ("pass", "ask")}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_rule_vector(vector: dict[str, Any]) -> None:
    lines = [f"{k}: {v}" for k, values in vector["headers"].items() for v in values]
    raw = "\r\n".join([*lines, "", ""]).encode("utf-8")
    values = vector["policy"]
    policy = Policy.build(
        threshold=values["threshold"],
        trusted_domains=values["trusted_domains"],
        action=Action(values["action"]),
        rules=[_rule(r) for r in values["rules"]],
    )
    result = check(read_message(raw), policy).to_json()
    expected = dict(vector["expected"])
    assert [r for r in result["reasons"] if r.startswith("rule '")] == expected.pop(
        "rule_reasons"
    )
    assert {k: result[k] for k in expected} == expected
