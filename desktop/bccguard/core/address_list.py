"""Reading a recipient header (To, Cc, Bcc) into addresses, leniently and never short.

Python's ``email`` package silently drops the rest of an address list it cannot parse
and only records a defect; an undercount there would let a mass mail through. This
reader recovers instead: every ``local@domain`` it finds outside quoted display names
and comments is counted, and each irregularity is reported as a :class:`Problem`, with
``doubtful=True`` where the count itself may be off. When it is, address-like text
inside quotes and comments counts too: a stray quote can turn real addresses into
"display name", and counting a name too many is better than a person too few.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import unquote

# One alternative per token kind; comments are read by hand because they nest.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<encoded>=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)  # RFC 2047; may hold a "," anyway
  | (?P<atom>[^\s()<>,;:"]+)
  | (?P<quoted>"(?:[^"\\]|\\.)*")
  | (?P<angle><(?:[^<>"]|"(?:[^"\\]|\\.)*")*>)
  | (?P<sep>[,;])
  | (?P<colon>:)
  | (?P<comment>\()
  | (?P<stray>[)>"<])
    """,
    re.VERBOSE | re.DOTALL,
)
_COMMENTS = re.compile(r"\((?:[^()\\]|\\.)*\)")
# Anything around an "@", wherever it stands; used only when in doubt, so that a stray
# character inside an address (``a<@x``) still leaves something to count.
_ADDRESS_LIKE = re.compile(r"[^\s<>()\[\],;:\"@]*@[^\s<>()\[\],;:\"]*")
_STRAY_TEXT = {
    '"': "an unterminated quote",
    "<": "a '<' without its '>'",
    ">": "a stray '>'",
    ")": "a stray ')'",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """Something irregular in a header; ``doubtful`` means the count may be off."""

    text: str
    doubtful: bool = False


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: the address, its display name, and how it was written."""

    addr: str
    name: str = ""
    source: str = ""
    # Identity for de-duplication: domain case-insensitive, IDN in ASCII form.
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        local, _, domain = self.addr.rpartition("@")
        object.__setattr__(self, "key", f"{local}@{ascii_domain(domain)}")

    @property
    def domain(self) -> str:
        """The domain, lower-cased (Unicode form for IDN)."""
        return self.addr.rpartition("@")[2]

    def header_text(self) -> str:
        """The mailbox as it can be written back into a header."""
        return self.source or self.addr


@dataclass(slots=True)
class AddressList:
    """The result of reading one header value."""

    addresses: list[Address] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int
    spaced: bool  # white space (or a comment) came before it


def ascii_domain(domain: str) -> str:
    """The ASCII (IDNA) form of ``domain``, lower-cased; as-is if it cannot encode."""
    domain = domain.lower()
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def normalise_addr(addr: str) -> str:
    """``local@Domain.`` -> ``local@domain``: the local part is kept as written."""
    local, at, domain = addr.rpartition("@")
    if not at:
        return addr
    return f"{local}@{domain.rstrip('.').lower()}"


def _read_comment(text: str, start: int) -> int | None:
    """End offset of the (possibly nested) comment opening at ``start``, or None."""
    depth = 0
    i = start
    size = len(text)
    while i < size:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _tokenise(text: str, problems: list[Problem]) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    spaced = False
    size = len(text)
    while pos < size:
        match = _TOKEN.match(text, pos)
        assert match is not None  # the alternatives cover every character
        kind = match.lastgroup or "stray"
        end = match.end()
        if kind == "ws":
            spaced = True
        elif kind == "comment":
            close = _read_comment(text, pos)
            if close is None:
                problems.append(Problem("an unterminated comment '('", doubtful=True))
                end = pos + 1
            else:
                tokens.append(_Token("comment", text[pos:close], pos, close, spaced))
                end = close
            spaced = True
        elif kind == "encoded":
            tokens.append(_Token("atom", match.group(), pos, end, spaced))
            spaced = False
        elif kind == "stray":
            char = match.group()
            problems.append(Problem(f"{_STRAY_TEXT[char]} was skipped", doubtful=True))
            spaced = True
        else:
            tokens.append(_Token(kind, match.group(), pos, end, spaced))
            spaced = False
        pos = end
    return tokens


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words; text that fails to decode stays as written."""
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError):
        return text


def _phrase(tokens: list[_Token]) -> str:
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


def _glued_runs(tokens: list[_Token]) -> list[list[_Token]]:
    """Group words written together; ``a . b @ c`` (obsolete spacing) stays one run."""
    runs: list[list[_Token]] = []
    for token in tokens:
        joins = runs and (
            not token.spaced or token.text[:1] in "@." or runs[-1][-1].text[-1:] in "@."
        )
        if joins:
            runs[-1].append(token)
        else:
            runs.append([token])
    return runs


def _holds_other(text: str, keys: set[str]) -> bool:
    """True when ``text`` has an ``@`` that is not one of the ``keys`` counted.

    Even a lone ``@domain`` counts: a stray quote may have split ``p"@x`` apart.
    """
    for match in _ADDRESS_LIKE.finditer(text):
        key = Address(normalise_addr(match.group().strip("'."))).key
        if key not in keys:
            return True
    return False


class _Reader:
    """Turns the tokens of one header value into addresses."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.result = AddressList()

    def problem(self, text: str, *, doubtful: bool = False) -> None:
        self.result.problems.append(Problem(text, doubtful))

    def add(self, addr: str, name: str, source: str) -> None:
        if addr.count("@") != 1 and not addr.startswith('"'):
            self.problem(f"'{addr}' is not a well-formed address", doubtful=True)
        local, _, domain = addr.rpartition("@")
        if not local or not domain:
            self.problem(f"'{addr}' is not a well-formed address", doubtful=True)
        self.result.addresses.append(Address(normalise_addr(addr), name, source))

    def entry(self, tokens: list[_Token]) -> None:
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
        if not found:
            if words:
                quoted_at = any("@" in t.text for t in words)
                self.problem(
                    f"'{_phrase(words)}' has no address; not counted",
                    doubtful=quoted_at,
                )
            return
        if len(found) > 1:
            self.problem("addresses not separated by commas", doubtful=True)
        elif len(runs) > 1:
            self.problem(f"'{source}' has a name but no <> around the address")
        name = decode_words(comments[0].text[1:-1].strip()) if comments else ""
        clean = len(found) == 1 and len(runs) == 1
        for run in found:
            addr = "".join(t.text for t in run)
            self.add(addr, name, source if clean else "")

    def _angle_entry(
        self, tokens: list[_Token], angles: list[int], source: str
    ) -> None:
        if len(angles) > 1:
            self.problem(f"'{source}' has several <addresses>", doubtful=True)
        name = _phrase(tokens[: angles[0]])
        keys = set()
        for i in angles:
            spec = _angle_addr(tokens[i].text[1:-1])
            if spec:
                self.add(spec, name, source if len(angles) == 1 else "")
                keys.add(Address(normalise_addr(spec)).key)
            else:
                self.problem("an empty <> was skipped")
        # A quoted name holding another address may be addresses a stray quote ate.
        if any(_holds_other(t.text, keys) for t in tokens if t.kind == "quoted"):
            self.problem("a display name holds another address", doubtful=True)
        # ``a@x <b@y>`` is a missing comma, ``a@x <a@x>`` an Outlook-style name.
        bare = [t for t in tokens if t.kind == "atom"]
        for run in _glued_runs(bare):
            addr = "".join(t.text for t in run).strip("'")
            if "@" in addr and Address(normalise_addr(addr)).key not in keys:
                self.problem("addresses not separated by commas", doubtful=True)
                self.add(addr, "", "")

    def read(self) -> AddressList:
        tokens = _tokenise(self.text, self.result.problems)
        entry: list[_Token] = []
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
                        self.problem("';' used between addresses (Outlook style)")
                        outlook_noted = True
            elif token.kind == "colon":
                if in_group or any("@" in t.text for t in entry if t.kind != "quoted"):
                    self.problem("a stray ':' read as a separator", doubtful=True)
                    self.entry(entry)
                else:
                    if any("@" in t.text for t in entry):
                        # A group named like an address: a stray quote may have
                        # turned a list of addresses into the group's name.
                        self.problem("a group name holds an address", doubtful=True)
                    self.result.groups.append(_phrase(entry))
                    in_group = True
                entry = []
            else:
                entry.append(token)
        self.entry(entry)
        if in_group:
            self.problem("a group without its closing ';'")
        # A stray "(" can turn addresses into a comment that still closes.
        keys = {a.key for a in self.result.addresses}
        if any(_holds_other(t.text, keys) for t in tokens if t.kind == "comment"):
            self.problem("a comment holds an address", doubtful=True)
        if any(p.doubtful for p in self.result.problems):
            self._count_address_like_text()
        return self.result

    def _count_address_like_text(self) -> None:
        """Fail closed: in a malformed list, anything shaped like an address counts."""
        keys = {a.key for a in self.result.addresses}
        extra = 0
        # A stray quote may sit inside an address (a"@x) or between two (a@x"b@y).
        texts = (self.text.replace('"', ""), self.text.replace('"', " "))
        for match in (m for text in texts for m in _ADDRESS_LIKE.finditer(text)):
            addr = normalise_addr(match.group().strip("'."))
            key = Address(addr).key
            if addr != "@" and key not in keys:
                keys.add(key)
                self.result.addresses.append(Address(addr))
                extra += 1
        if extra:
            self.problem(
                f"{extra} more address-like text{'s' if extra != 1 else ''} "
                "counted because the list is malformed",
                doubtful=True,
            )


# The common case, a list whose every entry is plainly ``addr``, ``Name <addr>`` or
# ``"Name" <addr>`` separated by commas, is read by one expression; anything else
# (groups, comments, semicolons, quoting, odd characters) takes the full reader.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_PLAIN_ADDR = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_ENTRY = re.compile(
    rf"""
    \s*
    (?P<entry>
        (?P<name>[^\s"(),:;<>@\[\]\\]+(?:[ \t]+[^\s"(),:;<>@\[\]\\]+)*)?
        \s*<(?P<addr>{_PLAIN_ADDR})>
      | "(?P<quoted>[^"\\@]*)"\s*<(?P<qaddr>{_PLAIN_ADDR})>
      | (?P<bare>{_PLAIN_ADDR})
    )
    \s*(?:,|\Z)
    """,
    re.VERBOSE,
)


def _read_plain(text: str) -> AddressList | None:
    """The fast path: the addresses of a plain list, or None to use the full reader."""
    result = AddressList()
    pos = 0
    size = len(text.rstrip())
    match_at = _PLAIN_ENTRY.match
    while pos < size:
        match = match_at(text, pos)
        if match is None or match.end() == pos:
            return None
        entry, name, addr, quoted, qaddr, bare = match.groups()
        if bare is not None:
            addr, name = bare, ""
        elif qaddr is not None:
            addr, name = qaddr, decode_words(quoted).strip()
        elif name:
            if "  " in name or "\t" in name:
                name = " ".join(name.split())
            name = decode_words(name)
        else:
            name = ""
        local, _, domain = addr.rpartition("@")
        result.addresses.append(Address(f"{local}@{domain.lower()}", name, entry))
        pos = match.end()
    return result


def parse_address_list(text: str) -> AddressList:
    """Read one To/Cc/Bcc header value (unfolded text) into addresses and problems.

    Args:
        text: the field body, RFC 2047 encoded words still encoded.

    Returns:
        The addresses in order (duplicates kept), the groups seen, and the problems.
    """
    plain = _read_plain(text)
    return plain if plain is not None else _Reader(text).read()
