"""The fast path: a plain address list read by one regular expression.

The common case, a list whose every entry is plainly ``addr``, ``Name <addr>`` or
``"Name" <addr>`` separated by commas, needs no tokens; anything else (groups,
comments, semicolons, quoting, odd characters, a name that shows an "@" once
decoded) is left to the full reader in :mod:`bccguard.core.address_list`.
"""

from __future__ import annotations

import re

from bccguard.core.encoded_words import decode_words, shown_text

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


def _shows_at(name: str) -> bool:
    """True when a name (as written) shows an "@" once decoded."""
    return ("=?" in name or not name.isascii()) and "@" in shown_text(name)


def read_plain(text: str) -> list[tuple[str, str, str]] | None:
    """The (addr, name, entry as written) of each entry of a plain list, or None
    when the list is not plain."""
    found: list[tuple[str, str, str]] = []
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
            if _shows_at(quoted):
                return None
            addr, name = qaddr, decode_words(quoted).strip()
        elif name:
            if _shows_at(name):
                return None
            if "  " in name or "\t" in name:
                name = " ".join(name.split())
            name = decode_words(name)
        else:
            name = ""
        local, _, domain = addr.rpartition("@")
        found.append((f"{local}@{domain.lower()}", name, entry))
        pos = match.end()
    return found
