"""Decision-proof vectors shared with the Thunderbird plugin: up to date and valid."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType
from typing import Any

import pytest

from bccguard.core.decision_proof import proven_decisions
from tests.core.corpus import DATA

VECTORS_FILE = DATA / "decision_proof_vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))[
    "vectors"
]


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_decision_vectors", DATA / "make_decision_vectors.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_vectors_are_up_to_date() -> None:
    assert VECTORS_FILE.read_text(encoding="utf-8") == _maker().render(), (
        "decision_proof_vectors.json is stale: "
        "run python tests/data/make_decision_vectors.py"
    )


def test_vectors_cover_case_duplicates_and_an_empty_set() -> None:
    assert len(VECTORS) >= 5
    assert len({v["key"] for v in VECTORS}) >= 2
    assert any(
        len({a.lower() for a in v["addresses"]}) < len(v["addresses"]) for v in VECTORS
    )
    assert any(not "".join(v["addresses"]).strip() for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_proves_its_decisions_for_its_people_only(
    vector: dict[str, Any],
) -> None:
    key = bytes.fromhex(vector["key"])
    value = vector["expected"]
    decisions = frozenset(vector["decisions"])
    assert proven_decisions(value, key, vector["addresses"], vector["now"]) == decisions
    reordered = [a.upper() for a in reversed(vector["addresses"])]
    assert proven_decisions(value, key, reordered, vector["now"] + 60) == decisions
    assert not proven_decisions(
        value, key, [*vector["addresses"], "x@new.example"], vector["now"]
    )


def test_vectors_cover_every_decision_and_both_together() -> None:
    kinds = {tuple(sorted(set(v["decisions"]))) for v in VECTORS}
    assert {("as-is",), ("delayed",), ("as-is", "delayed")} <= kinds
