"""The decision: pass or hold a message, with the reasons a person can read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bccguard.core.address_list import Address
from bccguard.core.message import ParsedMessage
from bccguard.core.policy import Policy
from bccguard.core.rules import Finding, Rule
from bccguard.core.rules.exposed_recipients import ExposedRecipients
from bccguard.core.rules.not_a_message import NotAMessage
from bccguard.core.rules.unreadable_recipients import UnreadableRecipients

RULES: tuple[Rule, ...] = (NotAMessage(), ExposedRecipients(), UnreadableRecipients())


class Decision(StrEnum):
    """The two outcomes of a check."""

    PASS = "pass"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of checking one message against one policy."""

    decision: Decision
    message: ParsedMessage
    exposed: tuple[Address, ...]
    threshold: int
    findings: tuple[Finding, ...]
    reasons: tuple[str, ...]

    @property
    def held(self) -> bool:
        """True when the message should not leave as it is."""
        return self.decision is Decision.HOLD

    def exposed_domains(self) -> list[tuple[str, int]]:
        """Exposed recipients per domain, most first."""
        return Counter(a.domain for a in self.exposed).most_common()

    def to_json(self) -> dict[str, Any]:
        """The verdict as the stable JSON object ``bccguard check --json`` prints."""
        message = self.message
        return {
            "verdict": self.decision.value,
            "visible_count": len(message.visible),
            "hidden_count": len(message.hidden),
            "exposed_count": len(self.exposed),
            "threshold": self.threshold,
            "visible": [a.addr for a in message.visible],
            "hidden": [a.addr for a in message.hidden],
            "exposed": [a.addr for a in self.exposed],
            "domains": dict(self.exposed_domains()),
            "rules": [f.rule for f in self.findings],
            "reasons": list(self.reasons),
            "subject": message.subject,
            "message_id": message.message_id,
        }


def check(message: ParsedMessage, policy: Policy) -> Verdict:
    """Decide whether ``message`` may leave under ``policy``.

    The message's own From/Sender addresses count as the sender's and are never
    exposed.
    """
    policy = policy.with_own(message.senders)
    own: list[Address] = []
    trusted: list[Address] = []
    strangers: list[Address] = []
    for address in message.visible:
        if policy.is_own(address):
            own.append(address)
        elif policy.trusts(address):
            trusted.append(address)
        else:
            strangers.append(address)
    exposed = tuple(strangers)
    findings = tuple(
        f for f in (rule.check(message, exposed, policy) for rule in RULES) if f
    )
    reasons = [f.reason for f in findings]
    summary = (
        f"{len(message.visible)} visible, {len(message.hidden)} hidden, "
        f"{len(exposed)} exposed (threshold {policy.threshold})"
    )
    if own:
        summary += f"; {len(own)} of the visible are the sender's own"
    if trusted:
        summary += f"; {len(trusted)} in trusted domains"
    reasons.append(summary)
    reasons.extend(p.text for p in message.problems)
    return Verdict(
        decision=Decision.HOLD if findings else Decision.PASS,
        message=message,
        exposed=exposed,
        threshold=policy.threshold,
        findings=findings,
        reasons=tuple(reasons),
    )
