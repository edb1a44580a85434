"""Recipient rules: mail to this list, these addresses or this domain always goes
Bcc, is never held, or has a threshold of its own.

The rules are part of the :class:`~bccguard.core.policy.Policy`, so every caller of
``Settings.policy_for`` (the proxy, the IMAP watcher, the check window, the native
host, the milter) honours them through :func:`bccguard.core.verdict.check`. The
plugin's ``recipient_rules.js`` mirrors this module; the shared vectors pin both.

What a rule covers:
    A recipient whose key (``bccguard.core.identity``) is one of the rule's
    addresses, or whose domain is one of the rule's domains or a subdomain of one.
    A rule's addresses are its own plus the members of the lists it names
    (``[[lists]]`` in config.toml; in Thunderbird also the address-book mailing
    list of that name, whose members the plugin reads).

When a rule applies:
    It *touches* a message that shows at least one recipient it covers (not the
    sender's own). It *covers* the message when it covers every exposed recipient
    (and there is at least one). An effect stricter than the policy applies when
    the rule touches the message; an effect looser than the policy applies only
    when the rule covers it, so a rule can never hide an outsider: a stranger
    added to the team's mail is counted as ever, with the team.

Effects:
    ``bcc``: stricter. The message is held and converted without asking, whatever
    the count and the policy's action (after the conversion nobody sees anybody),
    once it shows at least two recipients other than the sender (a lone
    recipient sees nobody).
    ``threshold``: the rule's own threshold, stricter when below the policy's,
    looser when at or above it.
    ``never-hold``: looser. A team that knows each other: mail wholly within it is
    not held for its count.

Several rules: ``bcc`` wins over every threshold, the lowest threshold wins, and
``never-hold`` only when no other rule applies; on a tie the first rule listed.
Rules never change who is counted (the exposed recipients are the same with or
without them) and never the handling of doubt: malformed recipient headers still
hold, and are not converted without asking unless the policy's action says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bccguard.core.address_list import Address
from bccguard.core.identity import address_key, ascii_domain
from bccguard.core.phrase import Phrase

RULE_FINDING = "always-bcc"


class Effect(StrEnum):
    """What a rule does to the mail it applies to."""

    BCC = "bcc"
    THRESHOLD = "threshold"
    NEVER_HOLD = "never-hold"


@dataclass(frozen=True, slots=True)
class RecipientRule:
    """One rule: who it covers and what it does.

    Attributes:
        name: how the user calls it; the verdict's reasons name it.
        effect: what the rule does.
        threshold: the rule's own threshold (``Effect.THRESHOLD`` only).
        addresses: the keys of the addresses it covers (list members included).
        domains: the domains it covers (UTS #46 form), subdomains included.
        lists: the names of the lists it covers, for the plugin's address books.
    """

    name: str
    effect: Effect
    threshold: int | None = None
    addresses: frozenset[str] = field(default_factory=frozenset)
    domains: frozenset[str] = field(default_factory=frozenset)
    lists: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        name: str,
        effect: Effect,
        *,
        threshold: int | None = None,
        addresses: Iterable[str] = (),
        domains: Iterable[str] = (),
        lists: Iterable[str] = (),
    ) -> RecipientRule:
        """A rule from plain values, normalising addresses (keys) and domains."""
        return cls(
            name=name,
            effect=effect,
            threshold=threshold if effect is Effect.THRESHOLD else None,
            addresses=frozenset(address_key(a.strip()) for a in addresses if a.strip()),
            domains=frozenset(rule_domain(d) for d in domains if d.strip()),
            lists=tuple(lists),
        )

    def to_json(self) -> dict[str, object]:
        """The rule as the plugin reads it (the native host's policy answer)."""
        out: dict[str, object] = {"name": self.name, "effect": self.effect.value}
        if self.threshold is not None:
            out["threshold"] = self.threshold
        out["addresses"] = sorted(self.addresses)
        out["domains"] = sorted(self.domains)
        out["lists"] = list(self.lists)
        return out

    def covers(self, address: Address) -> bool:
        """True when the rule covers ``address`` (by key, or by its domain)."""
        key = address.key
        if key in self.addresses:
            return True
        domain = key.rpartition("@")[2]
        while domain:
            if domain in self.domains:
                return True
            _, _, domain = domain.partition(".")
        return False

    def limit(self) -> int | None:
        """The most exposed recipients the rule lets through (None: no limit;
        -1: none at all, the message is converted)."""
        if self.effect is Effect.BCC:
            return -1
        if self.effect is Effect.THRESHOLD:
            return self.threshold if self.threshold is not None else 0
        return None


def rule_domain(domain: str) -> str:
    """A domain as rules compare it: UTS #46 form, no "@" or final dot."""
    return ascii_domain(domain.strip().lstrip("@").rstrip("."))


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What the rules make of one message.

    Attributes:
        threshold: the threshold in force (None: no limit, a never-hold rule).
        rule: the rule that set it, or None when the policy's threshold stands.
        bcc: the bcc rule that applies (the first listed), or None.
    """

    threshold: int | None
    rule: RecipientRule | None = None
    bcc: RecipientRule | None = None

    @property
    def decided_by(self) -> RecipientRule | None:
        """The rule that decided: a bcc rule over the one that set the threshold."""
        return self.bcc or self.rule

    def bcc_reason(self) -> str | None:
        """Why the message goes Bcc, in English (None when no bcc rule applies)."""
        if self.bcc is None:
            return None
        return Phrase("rule '{name}' always sends Bcc", name=self.bcc.name)

    def threshold_reason(self) -> str | None:
        """Why the threshold is what it is, in English (None: the policy's)."""
        rule = self.rule
        if rule is None:
            return None
        if rule.effect is Effect.NEVER_HOLD:
            return Phrase(
                "rule '{name}' never holds mail to its members", name=rule.name
            )
        return Phrase(
            "rule '{name}' sets the threshold to {threshold}",
            name=rule.name,
            threshold=rule.threshold,
        )


def _applies(
    rule: RecipientRule,
    shown: Sequence[Address],
    exposed: Sequence[Address],
    threshold: int,
) -> bool:
    limit = rule.limit()
    if limit is not None and limit < threshold:  # stricter: when it touches
        if not any(rule.covers(a) for a in shown):
            return False
        return rule.effect is not Effect.BCC or len(shown) >= 2
    return bool(exposed) and all(rule.covers(a) for a in exposed)


def weigh(
    rules: Sequence[RecipientRule],
    shown: Sequence[Address],
    exposed: Sequence[Address],
    threshold: int,
) -> RuleOutcome:
    """The rules' outcome for one message.

    Args:
        rules: the policy's rules, in the order the user listed them.
        shown: the visible recipients that are not the sender's own.
        exposed: those of them the policy counts (not in a trusted domain).
        threshold: the policy's threshold.
    """
    applying = [r for r in rules if _applies(r, shown, exposed, threshold)]
    bcc = next((r for r in applying if r.effect is Effect.BCC), None)
    best: RecipientRule | None = None
    best_limit: int | None = None
    for rule in applying:
        if rule.effect is Effect.BCC:
            continue
        limit = rule.limit()
        if best is None or (
            limit is not None and (best_limit is None or limit < best_limit)
        ):
            best, best_limit = rule, limit
    if best is None:
        return RuleOutcome(threshold, None, bcc)
    return RuleOutcome(best_limit, best, bcc)
