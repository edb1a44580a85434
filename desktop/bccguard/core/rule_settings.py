"""[[rules]] and [[lists]]: the recipient rules as config.toml holds them.

::

    [[lists]]
    name = "Parents 3B"            # an address-book list (Thunderbird: by name)
    members = ["anna@example.org", "Bruno <bruno@example.net>"]

    [[rules]]
    name = "Parents 3B"
    lists = ["Parents 3B"]
    addresses = []
    domains = []                   # subdomains included
    effect = "bcc"                 # "bcc" | "never-hold" | "threshold"
    # threshold = 3                # only with effect = "threshold"

A rule names at least one list, address or domain. A list a rule names but
``[[lists]]`` does not define is matched only in Thunderbird (by the address-book
list's name); the proxy cannot know its members. A ``never-hold`` or
``threshold`` rule cannot cover a public mail domain (gmail.com: strangers to each
other); a ``bcc`` rule can. The semantics: :mod:`bccguard.core.recipient_rules`.

Errors carry the key path (``rules[0].effect: ...``), raised as
:class:`~bccguard.core.setting_checks.SettingsError` like every setting's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bccguard.core.address_list import parse_address_list
from bccguard.core.phrase import N_
from bccguard.core.public_domains import is_public_mail_domain
from bccguard.core.recipient_rules import Effect, RecipientRule, rule_domain
from bccguard.core.setting_checks import (
    SettingsError,
    check_choice,
    check_int,
    check_required,
    check_table,
    check_texts,
)

EFFECTS = tuple(e.value for e in Effect)
MAX_THRESHOLD = 100_000
_DOMAIN = re.compile(r"[^\s@,;]+\.[^\s@,;]+")


@dataclass(frozen=True, slots=True)
class ListSettings:
    """[[lists]]: a named list of addresses (an address-book list)."""

    name: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """[[rules]]: who a rule covers and what it does."""

    name: str
    effect: str = Effect.BCC.value
    lists: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    threshold: int | None = None  # effect = "threshold" only

    def resolve(self, lists: Sequence[ListSettings]) -> RecipientRule:
        """The core rule, with the members of the lists it names."""
        wanted = {n.lower() for n in self.lists}
        members = [m for li in lists if li.name.lower() in wanted for m in li.members]
        return RecipientRule.build(
            self.name,
            Effect(self.effect),
            threshold=self.threshold,
            addresses=[*self.addresses, *members],
            domains=self.domains,
            lists=self.lists,
        )


def addresses_from_text(text: str) -> list[str]:
    """The addresses in pasted text (one per line, or separated by commas).

    Raises:
        SettingsError: an entry that is not one address (path ``addresses``).
    """
    lines = [line.strip().strip(",;") for line in text.splitlines()]
    found: list[str] = []
    for line in (li for li in lines if li):
        result = parse_address_list(line.replace(";", ","))
        if result.problems or not all(a.recipient for a in result.addresses):
            raise SettingsError(
                "addresses", N_("not an e-mail address: {text}"), text=line
            )
        found.extend(a.addr for a in result.addresses)
    return found


def domains_from_text(text: str) -> list[str]:
    """The domains in pasted text (one per line, or separated by commas/spaces)."""
    return [d for d in re.split(r"[\s,;]+", text) if d]


def _address(path: str, text: str) -> str:
    result = parse_address_list(text)
    if (
        result.problems
        or len(result.addresses) != 1
        or not result.addresses[0].recipient
    ):
        raise SettingsError(path, N_("not an e-mail address: {text}"), text=text)
    return result.addresses[0].addr  # a display name is not who it is


def _domain(path: str, text: str, effect: str) -> str:
    bare = text.lstrip("@").rstrip(".")
    if not _DOMAIN.fullmatch(bare):
        raise SettingsError(path, N_("not a domain: {text}"), text=text)
    if effect != Effect.BCC.value and is_public_mail_domain(rule_domain(bare)):
        raise SettingsError(
            path,
            N_(
                "{domain} is a public mail domain: its users are strangers to each "
                "other, so only a bcc rule can cover it"
            ),
            domain=bare,
        )
    return bare


def list_from_mapping(path: str, data: object) -> ListSettings:
    """One [[lists]] table, validated."""
    table = check_table(path, data, ListSettings)
    members = check_texts(f"{path}.members", table.get("members", []))
    return ListSettings(
        name=check_required(f"{path}.name", table.get("name")),
        members=tuple(
            _address(f"{path}.members[{i}]", m) for i, m in enumerate(members)
        ),
    )


def rule_from_mapping(path: str, data: object) -> RuleSettings:
    """One [[rules]] table, validated (as read, or as a form entered it)."""
    table = check_table(path, data, RuleSettings)
    name = check_required(f"{path}.name", table.get("name"))
    effect = check_choice(
        f"{path}.effect", table.get("effect", Effect.BCC.value), EFFECTS
    )
    threshold = table.get("threshold")
    if effect == Effect.THRESHOLD.value:
        threshold = check_int(f"{path}.threshold", threshold, 0, MAX_THRESHOLD)
    elif threshold is not None:
        raise SettingsError(
            f"{path}.threshold", N_('only a rule with effect = "threshold" has one')
        )
    lists = check_texts(f"{path}.lists", table.get("lists", []))
    addresses = check_texts(f"{path}.addresses", table.get("addresses", []))
    domains = check_texts(f"{path}.domains", table.get("domains", []))
    if not (lists or addresses or domains):
        raise SettingsError(path, N_("names no list, address or domain"))
    return RuleSettings(
        name=name,
        effect=str(effect),
        lists=tuple(lists),
        addresses=tuple(
            _address(f"{path}.addresses[{i}]", a) for i, a in enumerate(addresses)
        ),
        domains=tuple(
            _domain(f"{path}.domains[{i}]", d, str(effect))
            for i, d in enumerate(domains)
        ),
        threshold=threshold if effect == Effect.THRESHOLD.value else None,
    )


def _unique(path: str, names: Sequence[str], problem: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name.lower() in seen:
            raise SettingsError(f"{path}[{i}].name", problem)
        seen.add(name.lower())


def rules_from_mapping(
    data: Mapping[str, Any],
) -> tuple[tuple[ListSettings, ...], tuple[RuleSettings, ...]]:
    """The [[lists]] and [[rules]] of a settings document, validated."""
    found_lists = data.get("lists", [])
    found_rules = data.get("rules", [])
    for key, value in (("lists", found_lists), ("rules", found_rules)):
        if not isinstance(value, list):
            raise SettingsError(key, N_("must be a list of tables"))
    lists = tuple(
        list_from_mapping(f"lists[{i}]", t) for i, t in enumerate(found_lists)
    )
    rules = tuple(
        rule_from_mapping(f"rules[{i}]", t) for i, t in enumerate(found_rules)
    )
    _unique("lists", [li.name for li in lists], N_("another list has this name"))
    _unique("rules", [r.name for r in rules], N_("another rule has this name"))
    return lists, rules
