"""Vectors shared with the Thunderbird plugin: up to date, and right from strings."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType
from typing import Any

import pytest

from bccguard.core.address_list import Address
from bccguard.core.encoded_words import shown_text
from bccguard.core.identity import address_key, normalise_addr
from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.core.verdict import check
from tests.core.corpus import DATA

VECTORS_FILE = DATA / "shared_vectors.json"
DOCUMENT: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_shared_vectors", DATA / "make_shared_vectors.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VECTORS: list[dict[str, Any]] = DOCUMENT["vectors"]
IDENTITIES: list[dict[str, str]] = DOCUMENT["identities"]
SHOWN: list[dict[str, str]] = DOCUMENT["shown"]


def test_committed_vectors_are_up_to_date() -> None:
    expected = _maker().render()
    assert VECTORS_FILE.read_text(encoding="utf-8") == expected, (
        "shared_vectors.json is stale: run python tests/data/make_shared_vectors.py"
    )


def test_vectors_cover_the_corpus() -> None:
    assert len(VECTORS) >= 40
    assert {v["expected"]["verdict"] for v in VECTORS} == {"pass", "hold"}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_holds_from_header_strings_alone(vector: dict[str, Any]) -> None:
    # What the plugin sees: header strings, no message around them.
    lines = [
        f"{name}: {value}"
        for name, values in vector["headers"].items()
        for value in values
    ]
    raw = "\r\n".join([*lines, "", ""]).encode("utf-8")
    policy = Policy.build(
        threshold=vector["policy"]["threshold"],
        trusted_domains=vector["policy"]["trusted_domains"],
        own_addresses=vector["policy"]["own_addresses"],
    )
    result = check(read_message(raw), policy).to_json()
    expected = vector["expected"]
    assert result["verdict"] == expected["verdict"]
    assert result["visible_count"] == expected["visible_count"]
    assert result["exposed_count"] == expected["exposed_count"]
    assert sorted(result["visible"]) == expected["visible"]


@pytest.mark.parametrize("pair", IDENTITIES, ids=[p["written"] for p in IDENTITIES])
def test_identity_is_the_shared_key(pair: dict[str, str]) -> None:
    assert address_key(pair["written"]) == pair["key"]
    assert Address(normalise_addr(pair["written"])).key == pair["key"]


@pytest.mark.parametrize("pair", SHOWN, ids=[p["text"] for p in SHOWN])
def test_shown_text_is_the_shared_reading(pair: dict[str, str]) -> None:
    assert shown_text(pair["text"]) == pair["shown"]


def test_the_tables_pin_the_hard_cases() -> None:
    written = "".join(p["written"] for p in IDENTITIES)
    for needle in ("ß", "ẞ", "Σ", "\u200d", "BÜCHER.DE", '"John"'):
        assert needle in written, needle
