"""Rule: more strangers would see each other's addresses than the policy allows."""

from __future__ import annotations

from bccguard.core.address_list import Address
from bccguard.core.message import ParsedMessage
from bccguard.core.phrase import nphrase
from bccguard.core.policy import Policy
from bccguard.core.rules import Finding


class ExposedRecipients:
    """Hold a message that shows more than ``threshold`` strangers to each other."""

    name = "exposed-recipients"
    description = "Too many recipients who are strangers can see each other's address."

    def check(
        self, message: ParsedMessage, exposed: tuple[Address, ...], policy: Policy
    ) -> Finding | None:
        """Fire when exposed recipients exceed the threshold."""
        if len(exposed) <= policy.threshold:
            return None
        domains = len({a.domain for a in exposed})
        return Finding(
            self.name,
            nphrase(
                "{n} recipient from {domains} would see each other's address "
                "(more than {threshold})",
                "{n} recipients from {domains} would see each other's address "
                "(more than {threshold})",
                len(exposed),
                domains=nphrase("{n} domain", "{n} domains", domains),
                threshold=policy.threshold,
            ),
        )
