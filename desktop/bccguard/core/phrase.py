"""Text for people that the edge can say in another language.

The core speaks English. A sentence another layer may translate is a
:class:`Phrase`: the English it reads as (it *is* a ``str``, so logs, JSON and
stores keep working unchanged) plus the template and values it was made from, so a
user interface or the CLI can look the template up in the catalogue and fill it.
``N_`` marks a template for extraction into the catalogue without translating it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def N_(text: str) -> str:
    """Mark ``text`` for the catalogue; it stays English here."""
    return text


def _english(template: str, values: Mapping[str, Any]) -> str:
    return template.format(**{k: str(v) for k, v in values.items()})


class Phrase(str):
    """A sentence in English that remembers how to be said again in another language.

    ``template`` holds ``{name}`` placeholders filled from ``values``; a value may
    itself be a Phrase (translated in turn). A phrase made by :func:`nphrase` has
    two English forms and ``n`` chooses (gettext's ``ngettext``).
    """

    template: str
    plural: str | None
    n: int | None
    values: Mapping[str, Any]

    def __new__(cls, template: str, /, **values: Any) -> Phrase:
        """A phrase from a template (a literal, so the catalogue has it)."""
        return cls._made(template, None, None, values)

    @classmethod
    def _made(
        cls, template: str, plural: str | None, n: int | None, values: Mapping[str, Any]
    ) -> Phrase:
        chosen = template if plural is None or n == 1 else plural
        self = super().__new__(cls, _english(chosen, values))
        self.template = template
        self.plural = plural
        self.n = n
        self.values = values
        return self


def nphrase(singular: str, plural: str, n: int, /, **values: Any) -> Phrase:
    """A phrase whose form depends on ``n`` (filled in as ``{n}``)."""
    return Phrase._made(singular, plural, n, {"n": n, **values})


def joined(separator: str, parts: Sequence[str]) -> Phrase:
    """Phrases said one after another (each translated on its own)."""
    template = separator.join(f"{{part{i}}}" for i in range(len(parts)))
    return Phrase._made(
        template, None, None, {f"part{i}": p for i, p in enumerate(parts)}
    )
