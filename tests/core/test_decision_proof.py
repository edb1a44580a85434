"""The "send as is" proof from Thunderbird: it verifies for its message only, lately."""

from __future__ import annotations

import pytest

from bccguard.core.decision_proof import (
    MAX_AGE_MINUTES,
    ProofError,
    make_proof,
    proof_key,
    proven_decisions,
    verify_proof,
)

KEY = proof_key("the local secret")
PEOPLE = ["a@x.example", "B@Y.example", "a@x.example"]
NOW = 1_800_000_000.0


def test_round_trip_ignores_case_order_and_duplicates() -> None:
    value = make_proof(KEY, PEOPLE, NOW)
    assert verify_proof(value, KEY, ["b@y.example", "A@X.EXAMPLE"], NOW + 30)


def test_other_recipients_other_key_or_tampering_fail() -> None:
    value = make_proof(KEY, PEOPLE, NOW)
    assert not verify_proof(value, KEY, ["a@x.example"], NOW)
    assert not verify_proof(value, proof_key("another secret"), PEOPLE, NOW)
    assert not verify_proof(value.replace("mac=", "mac=0"), KEY, PEOPLE, NOW)
    assert not verify_proof(value.replace("as-is", "bcc"), KEY, PEOPLE, NOW)
    assert not verify_proof("", KEY, PEOPLE, NOW)


def test_a_proof_expires_and_cannot_come_from_the_future() -> None:
    value = make_proof(KEY, PEOPLE, NOW)
    assert verify_proof(value, KEY, PEOPLE, NOW + MAX_AGE_MINUTES * 60)
    assert not verify_proof(value, KEY, PEOPLE, NOW + (MAX_AGE_MINUTES + 1) * 60)
    assert not verify_proof(value, KEY, PEOPLE, NOW - 120)


def test_the_key_is_not_the_secret() -> None:
    assert b"the local secret" not in KEY
    assert len(KEY) == 32


def test_a_delay_proof_is_not_a_send_as_is() -> None:
    value = make_proof(KEY, PEOPLE, NOW, ["delayed"])
    assert value.startswith("v1; delayed; ")
    assert proven_decisions(value, KEY, PEOPLE, NOW) == {"delayed"}
    assert not verify_proof(value, KEY, PEOPLE, NOW)


def test_both_decisions_in_one_proof_whatever_order_they_are_given() -> None:
    value = make_proof(KEY, PEOPLE, NOW, ["delayed", "as-is", "delayed"])
    assert value.startswith("v1; as-is,delayed; ")
    assert proven_decisions(value, KEY, PEOPLE, NOW) == {"as-is", "delayed"}
    assert verify_proof(value, KEY, PEOPLE, NOW)


def test_decisions_cannot_be_added_or_respelled_after_signing() -> None:
    value = make_proof(KEY, PEOPLE, NOW, ["delayed"])
    widened = value.replace("delayed;", "as-is,delayed;")
    assert not proven_decisions(widened, KEY, PEOPLE, NOW)
    both = make_proof(KEY, PEOPLE, NOW, ["as-is", "delayed"])
    respelled = both.replace("as-is,delayed", "delayed,as-is")
    assert not proven_decisions(respelled, KEY, PEOPLE, NOW)
    doubled = both.replace("as-is,delayed", "as-is,as-is,delayed")
    assert not proven_decisions(doubled, KEY, PEOPLE, NOW)


def test_an_unknown_or_empty_decision_is_refused_when_signing() -> None:
    with pytest.raises(ProofError):
        make_proof(KEY, PEOPLE, NOW, ["bcc"])
    with pytest.raises(ProofError):
        make_proof(KEY, PEOPLE, NOW, [])
