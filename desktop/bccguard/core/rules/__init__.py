"""The rules a message is checked against; each says why it fired.

A rule has a stable kebab-case ``name`` (it appears in logs and incident records), a
``description`` for people, and ``check()`` returning a :class:`Finding` or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bccguard.core.address_list import Address
from bccguard.core.message import ParsedMessage
from bccguard.core.policy import Policy


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a rule wants the message held."""

    rule: str
    reason: str  # a Phrase, so the edge can say it in the user's language


class Rule(Protocol):
    """One reason to hold a message."""

    name: str
    description: str

    def check(
        self, message: ParsedMessage, exposed: tuple[Address, ...], policy: Policy
    ) -> Finding | None:
        """A finding when the message should be held, else None."""
        ...
