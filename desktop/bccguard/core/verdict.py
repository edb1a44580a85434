"""The decision: pass or hold a message, with the reasons a person can read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from bccguard.core.address_list import Address
from bccguard.core.message import ParsedMessage
from bccguard.core.phrase import Phrase, joined, nphrase
from bccguard.core.policy import Action, Policy
from bccguard.core.recipient_rules import RULE_FINDING, RuleOutcome, weigh
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
    action: Action
    rule: RuleOutcome | None = None

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
            "action": self.action.value,
            "recipient_rule": self._rule_json(),
            "subject": message.subject,
            "message_id": message.message_id,
        }

    def _rule_json(self) -> dict[str, str] | None:
        rule = self.rule.decided_by if self.rule is not None else None
        return None if rule is None else {"name": rule.name, "effect": rule.effect}


def check(message: ParsedMessage, policy: Policy) -> Verdict:
    """Decide whether ``message`` may leave under ``policy``.

    The message's own From/Sender addresses count as the sender's and are never
    exposed. The policy's recipient rules set the threshold in force and may ask
    for a conversion without asking (:mod:`bccguard.core.recipient_rules`); the
    verdict's ``action`` is what to do when it holds.
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
    outcome = weigh(policy.rules, [*trusted, *strangers], exposed, policy.threshold)
    # No limit (a never-hold rule): as many as there are, so the count never holds.
    in_force = replace(
        policy,
        threshold=len(exposed) if outcome.threshold is None else outcome.threshold,
    )
    found = [rule.check(message, exposed, in_force) for rule in RULES]
    bcc_reason = outcome.bcc_reason()
    if bcc_reason is not None:  # first: it is what happens to the message
        found.insert(0, Finding(RULE_FINDING, bcc_reason))
    findings = tuple(f for f in found if f)
    reasons = [f.reason for f in findings]
    threshold_reason = outcome.threshold_reason()
    if threshold_reason is not None:
        reasons.append(threshold_reason)
    summary = [
        Phrase(
            "{visible} visible, {hidden} hidden, {exposed} exposed "
            "(threshold {threshold})",
            visible=len(message.visible),
            hidden=len(message.hidden),
            exposed=len(exposed),
            threshold=in_force.threshold,
        )
    ]
    if own:
        summary.append(
            nphrase(
                "{n} of the visible is the sender's own",
                "{n} of the visible are the sender's own",
                len(own),
            )
        )
    if trusted:
        summary.append(Phrase("{n} in trusted domains", n=len(trusted)))
    reasons.append(joined("; ", summary))
    reasons.extend(p.text for p in message.problems)
    return Verdict(
        decision=Decision.HOLD if findings else Decision.PASS,
        message=message,
        exposed=exposed,
        threshold=in_force.threshold,
        findings=findings,
        reasons=tuple(reasons),
        action=_action(message, policy, outcome),
        rule=outcome if outcome.decided_by is not None else None,
    )


def _action(message: ParsedMessage, policy: Policy, outcome: RuleOutcome) -> Action:
    """The policy's action, or a conversion without asking for a bcc rule's mail
    that BccGuard can read for sure (doubt is handled as the policy says)."""
    sure = not message.doubtful and message.not_a_message is None
    return Action.CONVERT if outcome.bcc is not None and sure else policy.action
