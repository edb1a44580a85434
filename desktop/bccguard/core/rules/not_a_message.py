"""Rule: the input is not a message, so nobody can say who would see whom."""

from __future__ import annotations

from bccguard.core.address_list import Address
from bccguard.core.message import ParsedMessage
from bccguard.core.phrase import Phrase
from bccguard.core.policy import Policy
from bccguard.core.rules import Finding


class NotAMessage:
    """Fail closed: hold input without a single header field (empty, junk, text)."""

    name = "not-a-message"
    description = "The input has no header field: it is not a message."

    def check(
        self, message: ParsedMessage, exposed: tuple[Address, ...], policy: Policy
    ) -> Finding | None:
        """Fire when the input is not a message."""
        why = message.not_a_message
        if why is None:
            return None
        return Finding(self.name, Phrase("not a message: {why}", why=why))
