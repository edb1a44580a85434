"""The tokens of one recipient header value: words, quoted strings, comments,
<angle addresses>, separators, and what stands where it should not.

Every character belongs to a token or is described as a problem: the reader that
turns tokens into addresses (:mod:`bccguard.core.address_list`) never loses text
silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bccguard.core.phrase import Phrase

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
_STRAY_TEXT = {
    '"': Phrase("an unterminated quote"),
    "<": Phrase("a '<' without its '>'"),
    ">": Phrase("a stray '>'"),
    ")": Phrase("a stray ')'"),
}


@dataclass(slots=True)
class Token:
    """One token of a header value and where it stands."""

    kind: str
    text: str
    start: int
    end: int
    spaced: bool  # white space (or a comment) came before it


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


def tokenise(text: str, problems: list[str]) -> list[Token]:
    """The tokens of ``text``; each character skipped is described in ``problems``
    (it may have hidden an address, so each makes the count doubtful)."""
    tokens: list[Token] = []
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
                problems.append(Phrase("an unterminated comment '('"))
                end = pos + 1
            else:
                tokens.append(Token("comment", text[pos:close], pos, close, spaced))
                end = close
            spaced = True
        elif kind == "encoded":
            tokens.append(Token("atom", match.group(), pos, end, spaced))
            spaced = False
        elif kind == "stray":
            char = match.group()
            problems.append(Phrase("{what} was skipped", what=_STRAY_TEXT[char]))
            spaced = True
        else:
            tokens.append(Token(kind, match.group(), pos, end, spaced))
            spaced = False
        pos = end
    return tokens
