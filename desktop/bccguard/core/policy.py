"""The policy: how many strangers may see each other before a message is held."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bccguard.core.address_list import Address
from bccguard.core.identity import address_key, ascii_domain
from bccguard.core.public_domains import is_public_mail_domain
from bccguard.core.recipient_rules import RecipientRule

# More than ten strangers who see each other is a mass mail, not a conversation.
# Thunderbird warns at 15 To+Cc but counts colleagues and duplicates too.
DEFAULT_THRESHOLD = 10


class PolicyError(ValueError):
    """A policy that cannot be used: ``problem`` is an English template filled
    from ``values`` (a user interface may translate it); ``str()`` is the text."""

    def __init__(self, problem: str, /, **values: object) -> None:
        super().__init__(problem.format(**values))
        self.problem = problem
        self.values = values


class Action(StrEnum):
    """What to do with a message the policy holds."""

    ASK = "ask"
    CONVERT = "convert"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Policy:
    """What counts as exposing recipients, and what to do about it.

    Attributes:
        threshold: a message is held when more than this many recipients are exposed.
        trusted_domains: organisation domains whose members may see each other
            (subdomains included); never a public mail domain.
        own_addresses: the keys of the sender's addresses; they are never exposed.
        action: what happens to a held message.
        rules: the recipient rules (``bccguard.core.recipient_rules``), in order.
    """

    threshold: int = DEFAULT_THRESHOLD
    trusted_domains: frozenset[str] = field(default_factory=frozenset)
    own_addresses: frozenset[str] = field(default_factory=frozenset)
    action: Action = Action.ASK
    rules: tuple[RecipientRule, ...] = ()

    def __post_init__(self) -> None:
        if self.threshold < 0:
            raise PolicyError("the threshold must be 0 or more")
        for domain in self.trusted_domains:
            if is_public_mail_domain(domain):
                raise PolicyError(
                    "trusted domain {domain}: a public mail domain cannot be "
                    "trusted (its users are strangers to each other)",
                    domain=domain,
                )

    @classmethod
    def build(
        cls,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        trusted_domains: Iterable[str] = (),
        own_addresses: Iterable[str] = (),
        action: Action = Action.ASK,
        rules: Iterable[RecipientRule] = (),
    ) -> Policy:
        """A policy from plain values, normalising domains and addresses (keys)."""
        return cls(
            threshold=threshold,
            trusted_domains=frozenset(
                ascii_domain(d.strip().lstrip("@").rstrip(".")) for d in trusted_domains
            ),
            own_addresses=frozenset(address_key(a.strip()) for a in own_addresses),
            action=action,
            rules=tuple(rules),
        )

    def with_own(self, addresses: Iterable[Address]) -> Policy:
        """This policy with more of the sender's own addresses (by key: the sender
        is recognised however the address is written)."""
        keys = self.own_addresses | {a.key for a in addresses}
        return replace(self, own_addresses=frozenset(keys))

    def with_own_keys(self, keys: frozenset[str]) -> Policy:
        """This policy with more own-address keys (from another policy)."""
        return replace(self, own_addresses=self.own_addresses | keys)

    def is_own(self, address: Address) -> bool:
        """True for one of the sender's own addresses."""
        return address.key in self.own_addresses

    def trusts(self, address: Address) -> bool:
        """True when ``address`` is in a trusted domain or one of its subdomains."""
        if not self.trusted_domains:
            return False
        domain = address.key.rpartition("@")[2]  # UTS #46 form, from what was written
        while domain:
            if domain in self.trusted_domains:
                return True
            _, _, domain = domain.partition(".")
        return False
