"""Rule: the recipient headers are too broken to be sure how many people see them."""

from __future__ import annotations

from bccguard.core.address_list import Address
from bccguard.core.message import ParsedMessage
from bccguard.core.phrase import Phrase
from bccguard.core.policy import Policy
from bccguard.core.rules import Finding


class UnreadableRecipients:
    """Fail closed: hold a message whose recipient count may be wrong."""

    name = "unreadable-recipients"
    description = "The To/Cc headers are malformed; the count may be too low."

    def check(
        self, message: ParsedMessage, exposed: tuple[Address, ...], policy: Policy
    ) -> Finding | None:
        """Fire when a problem may have hidden recipients (even if none were read)."""
        if not message.doubtful:
            return None
        return Finding(
            self.name,
            Phrase(
                "the recipient headers are malformed, so BccGuard cannot be sure "
                "who would see whom"
            ),
        )
