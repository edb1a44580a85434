"""The tone check: what undermines an apology, with the exact characters to show.

Each rule has a stable kebab-case id (they appear in the wizard and in records) and
returns findings with a ``[start, end)`` span into the checked text, so the editor
can highlight exactly the words concerned. The rules follow common apology practice:
apologise plainly, no "but" after the apology, no conditional apology, no blaming
others, no excuses, keep it short.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_WORDS = 180

_I = re.IGNORECASE


def _words(*phrases: str) -> str:
    """One alternation of phrases, each matched as whole words, spaces flexible."""
    alternatives = (r"\s+".join(map(re.escape, p.split())) for p in phrases)
    return r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"


_APOLOGY = re.compile(
    r"(?<!\w)(?:sorry|apologi[sz]e[ds]?|apolog(?:y|ies)|forgive\s+me"
    r"|scus\w*|mi\s+dispiace|perdono|perdonate(?:mi)?|perdonami)(?!\w)",
    _I,
)
_BUT = re.compile(_words("but", "however", "ma", "però", "tuttavia"), _I)
_CONDITIONAL = re.compile(
    _words(
        "if anyone was offended",
        "if anyone felt offended",
        "if anyone was upset",
        "if you were offended",
        "if you felt offended",
        "if you were upset",
        "if I offended anyone",
        "se qualcuno si è sentito offeso",
        "se qualcuno si fosse sentito offeso",
        "se vi siete sentiti offesi",
        "se vi foste sentiti offesi",
        "se si è sentito offeso",
        "se ho offeso qualcuno",
    ),
    _I,
)
_BLAME = re.compile(
    _words(
        "the system",
        "my assistant",
        "my secretary",
        "the software",
        "the computer",
        "the mail program",
        "my colleague",
        "il sistema",
        "colpa di",
        "colpa del",
        "colpa della",
        "colpa dello",
        "il mio assistente",
        "la mia assistente",
        "la mia segretaria",
        "il programma",
        "il computer",
        "un mio collega",
    ),
    _I,
)
_BLAME_IT = re.compile(r"(?<!\w)IT(?!\w)")  # the IT department; case matters here
_EXCUSE = re.compile(
    _words(
        "I was busy",
        "I was very busy",
        "I was in a hurry",
        "I was rushing",
        "I was tired",
        "I was distracted",
        "it was late",
        "ero di fretta",
        "avevo fretta",
        "ero molto impegnato",
        "ero molto impegnata",
        "ero impegnato",
        "ero impegnata",
        "ero occupato",
        "ero occupata",
        "ero stanco",
        "ero stanca",
        "ero distratto",
        "ero distratta",
    ),
    _I,
)
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@dataclass(frozen=True, slots=True)
class ToneFinding:
    """One thing that weakens the apology, and where it is in the text."""

    rule: str
    start: int
    end: int
    message: str

    @property
    def span(self) -> tuple[int, int]:
        """``(start, end)``: the characters to highlight (empty for the whole text)."""
        return self.start, self.end


def word_count(text: str) -> int:
    """Words as the length rule counts them (``don't`` and ``e-mail`` are one)."""
    return sum(1 for _ in _WORD.finditer(text))


def _each(
    pattern: re.Pattern[str], text: str, rule: str, message: str, start: int = 0
) -> Iterable[ToneFinding]:
    for match in pattern.finditer(text, start):
        yield ToneFinding(rule, match.start(), match.end(), message)


def check_tone(text: str, max_words: int = MAX_WORDS) -> list[ToneFinding]:
    """Check an apology (English or Italian); returns the findings in text order.

    Args:
        text: The apology as the user wrote it (placeholders may remain).
        max_words: Above this many words the apology is too long.

    Returns:
        Findings with rule ids ``no-apology``, ``but-after-apology``,
        ``conditional-apology``, ``blaming-others``, ``excuse`` and ``too-long``.
    """
    findings: list[ToneFinding] = []
    apology = _APOLOGY.search(text)
    if apology is None:
        findings.append(
            ToneFinding(
                "no-apology",
                0,
                0,
                "There is no apology in it: say plainly that you are sorry.",
            )
        )
    else:
        findings += _each(
            _BUT,
            text,
            "but-after-apology",
            "A \u201cbut\u201d after an apology takes it back: leave it out.",
            apology.end(),
        )
    findings += _each(
        _CONDITIONAL,
        text,
        "conditional-apology",
        "This apologises for their feelings, not for your mistake: "
        "apologise for what you did.",
    )
    blame = "Do not blame others or the tools: take responsibility."
    findings += _each(_BLAME, text, "blaming-others", blame)
    findings += _each(_BLAME_IT, text, "blaming-others", blame)
    findings += _each(
        _EXCUSE,
        text,
        "excuse",
        "This sounds like an excuse: explain briefly what happened, without it.",
    )
    words = list(_WORD.finditer(text))
    if len(words) > max_words:
        findings.append(
            ToneFinding(
                "too-long",
                words[max_words].start(),
                len(text),
                f"{len(words)} words: keep an apology short (at most {max_words}).",
            )
        )
    return sorted(findings, key=lambda f: (f.start, f.end, f.rule))
