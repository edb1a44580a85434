"""Python and the plugin read the same tricky recipient headers the same way.

The shared vectors cover the corpus; this adds a few thousand generated headers built
from the pieces that break parsers (quotes, comments, groups, stray brackets, IDN,
Outlook semicolons), read by both implementations and compared one by one.
"""

from __future__ import annotations

import random
from typing import Any

from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.core.verdict import check
from tests.plugin.node_agreement import disagreements, plugin_answers

PIECES = [
    "a@x.example",
    "B@Corp.Example",
    "c@eu.corp.example",
    "d@X.EXAMPLE.",
    "e@gmail.com",
    "Ann <ann@y.example>",
    '"Doe, John" <jd@y.example>',
    '"x@y.example" <z@w.example>',
    "(comment a@c.example) f@x.example",
    "g@x.example (Name)",
    "<h@x.example>",
    "Team: i@x.example, j@x.example;",
    "undisclosed-recipients:;",
    "k@x.example;",
    "l@x.example m@x.example",
    '"unterminated',
    "stray>",
    "(open",
    "<n@x.example",
    "o@bücher.example",
    "p@xn--bcher-kva.example",
    "=?utf-8?q?Ren=C3=A9?= <r@x.example>",
    "<@route.example:s@x.example>",
    "t . u @ x.example",
    "'v@x.example'",
    "a@x.example",
    "w@x.example <w@x.example>",
    "nobody",
    "=?utf-8?q?a1=40e1.example?=",
    "=?utf-8?b?YTFAZTEudGVzdCwgYTJAZTIudGVzdA==?= <x1@x.example>",
    "=?utf-8?q?Team?= (=?utf-8?q?c1=40c.example?=) y1@x.example",
    "DUP0@ALPHA.EXAMPLE",
    "dup0@alpha.example",
    "Straße@x.example",
    "STRASSE@x.example",
    "ANNA@BÜCHER.EXAMPLE",
    "anna@xn--bcher-kva.example",
    "ME@CORP.EXAMPLE",
    '"carol@evil.example" <dan@good.example>',
    "@",
    "q@",
    "@q.example",
    "Ann <>",
    ":",
    ",",
]


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)

    def field() -> str:
        parts = rng.sample(PIECES, rng.randrange(0, 5))
        return rng.choice([", ", ",", "; ", " "]).join(parts)

    return [
        {"to": [field()], "cc": [field()], "from": ["me@corp.example"]}
        for _ in range(count)
    ]


def python_reading(case: dict[str, Any]) -> dict[str, Any]:
    raw = "".join(
        f"{name}: {value}\r\n" for name in ("to", "cc", "from") for value in case[name]
    ).encode("utf-8")
    message = read_message(raw + b"\r\n")
    verdict = check(
        message, Policy.build(threshold=2, trusted_domains=["corp.example"])
    )
    data = verdict.to_json()
    return {
        "visible": data["visible"],
        "exposed_count": data["exposed_count"],
        "verdict": data["verdict"],
        "doubtful": message.doubtful,
    }


def test_generated_headers_are_read_alike() -> None:
    cases = generate(2000, seed=2822)
    plugin = plugin_answers("read_headers.mjs", cases)
    python = [python_reading(case) for case in cases]
    differences = disagreements(cases, python, plugin)
    assert differences == [], differences[:3]
