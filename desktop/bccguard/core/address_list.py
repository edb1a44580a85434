"""Reading a recipient header (To, Cc, Bcc, Resent-*) into addresses, never short.

Python's ``email`` package silently drops the rest of an address list it cannot parse
and only records a defect; an undercount there would let a mass mail through. This
reader recovers instead: every ``local@domain`` it finds outside quoted display names
and comments is a mailbox, and each irregularity is reported as a :class:`Problem`,
with ``doubtful=True`` where the count itself may be off.

It counts what a reader sees as well. An address shown in a display name, a comment,
a group name or a bare word (encoded-words decoded, as mail programs show them)
counts as one more person and makes the count doubtful; so, in a malformed list, does
any address-like text, since a stray quote can turn real addresses into "display
name". Counting a name too many is better than a person too few. Such an address is
:attr:`Origin.TEXT` (no mail program delivers to a name, so conversion leaves it
out), or :attr:`Origin.STRAY` when the list is broken and it may be a recipient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import unquote
from enum import StrEnum

from bccguard.core.address_tokens import Token, tokenise
from bccguard.core.encoded_words import decode_words, shown_text
from bccguard.core.identity import address_key, ascii_domain, normalise_addr
from bccguard.core.phrase import Phrase, nphrase
from bccguard.core.plain_list import read_plain

__all__ = [
    "Address",
    "AddressList",
    "Origin",
    "Problem",
    "ascii_domain",
    "decode_words",
    "normalise_addr",
    "parse_address_list",
]

_COMMENTS = re.compile(r"\((?:[^()\\]|\\.)*\)")
# Anything around an "@", wherever it stands; used only when in doubt, so that a stray
# character inside an address (``a<@x``) still leaves something to count.
_ADDRESS_LIKE = re.compile(r"[^\s<>()\[\],;:\"@]*@[^\s<>()\[\],;:\"]*")


@dataclass(frozen=True, slots=True)
class Problem:
    """Something irregular in a header; ``doubtful`` means the count may be off."""

    text: str
    doubtful: bool = False


class Origin(StrEnum):
    """Where in a header an address was found."""

    MAILBOX = "mailbox"  # an addr-spec: what mail programs deliver to
    TEXT = "text"  # only shown: in a name, comment, group name or word
    STRAY = "stray"  # address-like text in a broken list: perhaps a recipient


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: the address, its display name, and how it was written."""

    addr: str
    name: str = ""
    source: str = ""
    origin: Origin = Origin.MAILBOX
    # One person, one key (bccguard.core.identity): for counting, never for sending.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", address_key(self.addr))

    @property
    def domain(self) -> str:
        """The domain, lower-cased (Unicode form for IDN), for showing and grouping."""
        return self.addr.rpartition("@")[2].lower()

    @property
    def recipient(self) -> bool:
        """True when the message is (or may be) addressed to it, not only shown."""
        return self.origin is not Origin.TEXT

    def header_text(self) -> str:
        """The mailbox as it can be written back into a header."""
        return self.source or self.addr


@dataclass(slots=True)
class AddressList:
    """The result of reading one header value."""

    addresses: list[Address] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def _phrase(tokens: list[Token]) -> str:
    words = []
    for token in tokens:
        if token.kind == "quoted":
            words.append(unquote(token.text))
        elif token.kind == "comment":
            continue
        else:
            words.append(token.text)
    return decode_words(" ".join(words)).strip()


def _angle_addr(inner: str) -> str:
    """The addr-spec inside ``<...>``, without comments, spaces or an obsolete route."""
    spec = _COMMENTS.sub("", inner)
    spec = "".join(spec.split())
    if spec.startswith("@") and ":" in spec:  # RFC 5322 §4.4 obs-route
        spec = spec.split(":", 1)[1]
    return spec


def _glued_runs(tokens: list[Token]) -> list[list[Token]]:
    """Group words written together; ``a . b @ c`` (obsolete spacing) stays one run."""
    runs: list[list[Token]] = []
    for token in tokens:
        joins = runs and (
            not token.spaced or token.text[:1] in "@." or runs[-1][-1].text[-1:] in "@."
        )
        if joins:
            runs[-1].append(token)
        else:
            runs.append([token])
    return runs


def _shown(token: Token) -> str:
    """A token's text as a reader sees it."""
    return shown_text(unquote(token.text) if token.kind == "quoted" else token.text)


def _shown_addresses(text: str) -> list[str]:
    """Address-like words in ``text``; even a lone ``x@`` or ``@domain`` (a stray
    quote may have split ``p"@x`` apart), but not an ``@`` on its own."""
    found = (m.group().strip("'.") for m in _ADDRESS_LIKE.finditer(text))
    return [addr for addr in found if addr != "@"]


def _seen_keys(addresses: list[Address]) -> set[str]:
    """The keys of ``addresses``, also as a reader sees them (NFKC)."""
    keys = {a.key for a in addresses}
    keys.update(address_key(shown_text(a.addr)) for a in addresses)
    return keys


def _shows_other(texts: list[str], keys: set[str]) -> bool:
    """True when the ``texts`` show an address that is not one of the ``keys``."""
    return any(address_key(a) not in keys for t in texts for a in _shown_addresses(t))


class _Reader:
    """Turns the tokens of one header value into addresses."""

    def __init__(self, text: str, *, broken: bool = False) -> None:
        self.text = text
        self.result = AddressList()
        # The list's syntax is broken: a name may hold swallowed recipients.
        self.broken = broken
        self.texts: list[str] = []  # what a reader sees outside the mailboxes
        self.comments: list[str] = []

    def problem(
        self, text: str, *, doubtful: bool = False, broken: bool = False
    ) -> None:
        self.result.problems.append(Problem(text, doubtful))
        self.broken = self.broken or broken

    def add(self, addr: str, name: str, source: str) -> None:
        if addr.count("@") != 1 and not addr.startswith('"'):
            self.problem(
                Phrase("'{addr}' is not a well-formed address", addr=addr),
                doubtful=True,
                broken=True,
            )
        local, _, domain = addr.rpartition("@")
        if not local or not domain:
            self.problem(
                Phrase("'{addr}' is not a well-formed address", addr=addr),
                doubtful=True,
                broken=True,
            )
        self.result.addresses.append(Address(normalise_addr(addr), name, source))

    def shown(self, tokens: list[Token]) -> list[str]:
        """Record what a reader sees of ``tokens`` (no mailboxes); the names' texts."""
        names = []
        for token in tokens:
            if token.kind == "angle":
                inner = [shown_text(c) for c in _COMMENTS.findall(token.text)]
                self.texts.extend(inner)
                self.comments.extend(inner)
                continue
            text = _shown(token)
            self.texts.append(text)
            if token.kind == "comment":
                self.comments.append(text)
            else:
                names.append(text)
        return names

    def entry(self, tokens: list[Token]) -> None:
        """One comma-separated entry: ``Name <addr>``, ``addr (Name)``, or worse."""
        if not tokens:
            return
        source = self.text[tokens[0].start : tokens[-1].end].strip()
        angles = [i for i, t in enumerate(tokens) if t.kind == "angle"]
        if angles:
            self._angle_entry(tokens, angles, source)
            return
        words = [t for t in tokens if t.kind != "comment"]
        comments = [t for t in tokens if t.kind == "comment"]
        runs = _glued_runs(words)
        # An "@" only inside quotes is a display name ("a@x", "a, b@y"), no mailbox.
        found = [r for r in runs if any("@" in t.text for t in r if t.kind != "quoted")]
        mailbox_tokens = {id(t) for r in found for t in r}
        names = self.shown([t for t in tokens if id(t) not in mailbox_tokens])
        if not found:
            if words and _shows_other(names, set()):
                self.problem(
                    Phrase(
                        "'{text}' shows an address but is none; counted",
                        text=_phrase(words),
                    ),
                    doubtful=True,
                )
            elif words:
                self.problem(
                    Phrase("'{text}' has no address; not counted", text=_phrase(words))
                )
            return
        if len(found) > 1:
            self.problem(
                Phrase("addresses not separated by commas"), doubtful=True, broken=True
            )
        elif len(runs) > 1:
            self.problem(
                Phrase(
                    "'{source}' has a name but no <> around the address", source=source
                )
            )
        name = decode_words(comments[0].text[1:-1].strip()) if comments else ""
        clean = len(found) == 1 and len(runs) == 1
        for run in found:
            addr = "".join(t.text for t in run)
            self.add(addr, name, source if clean else "")
        if _shows_other(names, _seen_keys(self.result.addresses[-len(found) :])):
            self.problem(Phrase("a display name holds another address"), doubtful=True)

    def _angle_entry(self, tokens: list[Token], angles: list[int], source: str) -> None:
        if len(angles) > 1:
            self.problem(
                Phrase("'{source}' has several <addresses>", source=source),
                doubtful=True,
                broken=True,
            )
        name = _phrase(tokens[: angles[0]])
        first = len(self.result.addresses)
        for i in angles:
            spec = _angle_addr(tokens[i].text[1:-1])
            if spec:
                self.add(spec, name, source if len(angles) == 1 else "")
            else:
                self.problem(Phrase("an empty <> was skipped"))
        # ``a@x <b@y>`` is a missing comma, ``a@x <a@x>`` an Outlook-style name.
        keys = _seen_keys(self.result.addresses[first:])
        bare = [t for t in tokens if t.kind == "atom"]
        for run in _glued_runs(bare):
            addr = "".join(t.text for t in run).strip("'")
            if "@" in addr and Address(normalise_addr(addr)).key not in keys:
                self.problem(
                    Phrase("addresses not separated by commas"),
                    doubtful=True,
                    broken=True,
                )
                self.add(addr, "", "")
        # A name holding another address may be addresses a stray quote ate.
        names = self.shown(tokens)
        if _shows_other(names, _seen_keys(self.result.addresses[first:])):
            self.problem(Phrase("a display name holds another address"), doubtful=True)

    def read(self) -> AddressList:
        skipped: list[str] = []
        tokens = tokenise(self.text, skipped)
        for text in skipped:  # a character skipped may have hidden an address
            self.problem(text, doubtful=True, broken=True)
        entry: list[Token] = []
        in_group = False
        outlook_noted = False
        for token in tokens:
            if token.kind == "sep":
                self.entry(entry)
                entry = []
                if token.text == ";":
                    if in_group:
                        in_group = False
                    elif not outlook_noted:
                        self.problem(
                            Phrase("';' used between addresses (Outlook style)")
                        )
                        outlook_noted = True
            elif token.kind == "colon":
                if in_group or any("@" in t.text for t in entry if t.kind != "quoted"):
                    self.problem(
                        Phrase("a stray ':' read as a separator"),
                        doubtful=True,
                        broken=True,
                    )
                    self.entry(entry)
                else:
                    # A group named like an address: a stray quote may have
                    # turned a list of addresses into the group's name.
                    if _shows_other(self.shown(entry), set()):
                        self.problem(
                            Phrase("a group name holds an address"), doubtful=True
                        )
                    self.result.groups.append(_phrase(entry))
                    in_group = True
                entry = []
            else:
                entry.append(token)
        self.entry(entry)
        if in_group:
            self.problem(Phrase("a group without its closing ';'"))
        # A stray "(" can turn addresses into a comment that still closes.
        if _shows_other(self.comments, _seen_keys(self.result.addresses)):
            self.problem(Phrase("a comment holds an address"), doubtful=True)
        self._count_shown_text()
        return self.result

    def _count_shown_text(self) -> None:
        """Count every address a reader sees outside the mailboxes; in a malformed
        list (fail closed), anything shaped like an address anywhere in it."""
        keys = _seen_keys(self.result.addresses)
        texts = self.texts
        if any(p.doubtful for p in self.result.problems):
            # A stray quote may sit inside an address (a"@x) or between two (a@x"b@y).
            raw = (self.text.replace('"', ""), self.text.replace('"', " "))
            texts = [*texts, *(shown_text(t) for t in raw)]
        origin = Origin.STRAY if self.broken else Origin.TEXT
        extra = 0
        for found in (a for text in texts for a in _shown_addresses(text)):
            addr = normalise_addr(found)
            key = address_key(addr)
            if key not in keys:
                keys.add(key)
                self.result.addresses.append(Address(addr, origin=origin))
                extra += 1
        if extra:
            self.problem(
                nphrase(
                    "{n} more address-like text counted",
                    "{n} more address-like texts counted",
                    extra,
                ),
                doubtful=True,
            )


def parse_address_list(text: str, *, broken: bool = False) -> AddressList:
    """Read one To/Cc/Bcc header value (unfolded text) into addresses and problems.

    Args:
        text: the field body, RFC 2047 encoded words still encoded.
        broken: the field's bytes were already repaired (NUL bytes, bytes that are
            not UTF-8, lines that were not folded): an address only shown may then
            be a swallowed recipient (:attr:`Origin.STRAY`).

    Returns:
        The addresses in order (duplicates kept), the groups seen, and the problems.
    """
    plain = read_plain(text)
    if plain is None:
        return _Reader(text, broken=broken).read()
    return AddressList([Address(addr, name, entry) for addr, name, entry in plain])
