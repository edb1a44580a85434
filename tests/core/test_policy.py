"""The policy's own addresses and trusted domains follow the identity rule."""

from __future__ import annotations

import pytest

from bccguard.core.address_list import Address
from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.core.settings import Account, Settings
from bccguard.core.verdict import check

STRANGERS = ", ".join(f"s{i}@stranger{i}.example" for i in range(10))


@pytest.mark.parametrize(
    "sender",
    ["ANNA@EXAMPLE-CORP.COM", "anna@example-corp.com", "Anna@Example-Corp.Com."],
)
def test_the_senders_own_address_is_recognised_in_any_case(sender: str) -> None:
    # Ten strangers and the sender: exactly the threshold, so it passes.
    raw = f"To: anna@example-corp.com, {STRANGERS}\r\n\r\n".encode()
    account = Account("work", "Anna@example-corp.com", "smtp.example-corp.com")
    for policy in (
        Settings().policy_for(sender),
        Settings(accounts=(account,)).policy_for(sender),
        Policy.build(own_addresses=[sender]),
        Policy().with_own([Address(sender)]),
    ):
        verdict = check(read_message(raw), policy)
        assert (verdict.held, len(verdict.exposed)) == (False, 10)


def test_the_sender_in_capitals_in_to_is_the_sender() -> None:
    raw = (
        f"From: Anna <anna@example-corp.com>\r\n"
        f"To: ANNA@EXAMPLE-CORP.COM, {STRANGERS}\r\n\r\n"
    ).encode()
    verdict = check(read_message(raw), Policy())
    assert (verdict.held, len(verdict.exposed)) == (False, 10)


def test_trusted_domains_compare_in_their_uts46_form() -> None:
    policy = Policy.build(trusted_domains=["BÜCHER.de"])
    assert policy.trusted_domains == frozenset({"xn--bcher-kva.de"})
    assert policy.trusts(Address("a@xn--bcher-kva.DE"))
    assert policy.trusts(Address("a@eu.Bücher.de"))
    assert not policy.trusts(Address("a@bucher.de"))
