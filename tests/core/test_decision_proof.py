"""The "send as is" proof from Thunderbird: it verifies for its message only, lately."""

from __future__ import annotations

from bccguard.core.decision_proof import (
    MAX_AGE_MINUTES,
    make_proof,
    proof_key,
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
