"""[[senders]]: a policy of its own for mail from some addresses or domains.

An organisation's mail server (the milter) has no accounts, only senders: the
office may see each other's parents' addresses less often than the newsletter
desk, so each gets its own threshold and action::

    [[senders]]
    name = "Front office"
    domains = ["office.school.example"]   # subdomains included
    addresses = ["head@school.example"]
    threshold = 5
    action = "block"                      # ask | convert | block

Which entry applies: an entry naming the sender's address beats one naming its
domain, a longer (more specific) domain beats a shorter one, and among equals the
first listed wins. An account whose address is the sender's beats every entry (it
is this identity's own setting); otherwise an entry beats the accounts' fallback.
Addresses are compared by identity key and domains in their UTS #46 form, as the
count compares recipients (``bccguard.core.identity``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bccguard.core.identity import address_key, ascii_domain


@dataclass(frozen=True, slots=True)
class SenderPolicy:
    """One [[senders]] table: whom it is for, and what differs for them."""

    name: str
    addresses: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    threshold: int | None = None  # None: [policy]'s
    action: str | None = None  # None: [policy]'s

    def specificity(self, sender: str) -> int:
        """How closely this entry names ``sender``: 0 not at all; a named address
        ranks above every domain, a longer domain above a shorter one."""
        key = address_key(sender)
        if any(address_key(a) == key for a in self.addresses):
            return 1_000
        domain = key.rpartition("@")[2]
        best = 0
        for named in self.domains:
            wanted = ascii_domain(named.lstrip("@"))
            if domain == wanted or domain.endswith("." + wanted):
                best = max(best, 1 + wanted.count("."))
        return best


def sender_policy_for(
    entries: Sequence[SenderPolicy], sender: str
) -> SenderPolicy | None:
    """The entry that applies to mail from ``sender``, if any."""
    if "@" not in sender:
        return None
    best: SenderPolicy | None = None
    best_rank = 0
    for entry in entries:
        rank = entry.specificity(sender)
        if rank > best_rank:  # strictly: the first listed wins a tie
            best, best_rank = entry, rank
    return best
