"""Write shared_vectors.json: the check cases the Thunderbird plugin reuses.

The plugin's JavaScript and this Python core must agree on every recipient count.
Each vector holds the raw recipient and sender header values (To, Cc, Bcc, their
Resent- forms, From, Sender; one string per copy of the field, unfolded) of one
corpus message, the policy it was checked with, and the expected outcome from
``corpus.json``. Messages whose recipient headers cannot be written as plain strings
(bytes that are not UTF-8, NUL bytes, lines that are not folded) are left out: they
exist only as raw bytes; so is input that is not a message (the plugin only ever
reads a compose window or a message's header fields).

``rule_vectors`` pin the recipient rules (bccguard.core.recipient_rules) on both
sides: header values, a policy whose ``rules`` are written as the native host gives
them to the plugin (lists already resolved into addresses), and the outcome the
Python core gives.

Two hand-worked tables pin the rules under the counts on both sides: ``identities``
(an address as written, and the key that says who it is: bccguard.core.identity)
and ``shown`` (header text, and what a reader sees of it:
bccguard.core.encoded_words.shown_text).

Run from the repository root after changing the corpus:

    python tests/data/make_shared_vectors.py

``tests/core/test_shared_vectors.py`` fails while the committed file is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIELDS = (
    "to",
    "cc",
    "bcc",
    "resent-to",
    "resent-cc",
    "resent-bcc",
    "from",
    "sender",
    "resent-from",
    "resent-sender",
)
SENDERS = ("from", "sender", "resent-from", "resent-sender")
ZWJ = "\u200d"

# (as written, key): worked out by hand from the rule in bccguard.core.identity.
IDENTITIES = [
    # Local parts: Unicode default lower case (str.lower, toLowerCase), NFC.
    ("DUP0@ALPHA.EXAMPLE", "dup0@alpha.example"),
    ("STRAẞE@x.example", "straße@x.example"),  # capital sharp s: ß
    ("STRASSE@x.example", "strasse@x.example"),  # never casefold: not ß
    ("ΣΟΦΙΑΣ@x.example", "σοφιας@x.example"),  # a final sigma at the end
    ("σοφιασ@x.example", "σοφιασ@x.example"),
    (f"a{ZWJ}b@x.example", f"a{ZWJ}b@x.example"),  # a zero-width joiner stays
    ("Jo\u0308rg@x.example", "jörg@x.example"),  # NFC
    ('"John"@x.example', "john@x.example"),  # RFC 5322 §3.4.1: its content
    ('"a\\"b"@x.example', 'a"b@x.example'),
    # Domains: UTS #46 non-transitional, then lower case; no final dot.
    ("hans@BÜCHER.DE", "hans@xn--bcher-kva.de"),
    ("hans@XN--BCHER-KVA.DE.", "hans@xn--bcher-kva.de"),
    ("fritz@faß.de", "fritz@xn--fa-hia.de"),  # non-transitional: not fass.de
    ("o@STRAẞE.DE", "o@xn--strae-oqa.de"),  # UTS #46 since Unicode 15.1
    ("x@ΟΔΟΣ.gr", "x@xn--pxavbq.gr"),  # UTS #46 maps Σ to σ, not to ς
    ("x@οδος.gr", "x@xn--pxavbm.gr"),
    (f"x@\u0915\u094d{ZWJ}\u0937.example", "x@xn--11b2ezcw70k.example"),
    ("x@ＢＵＣＨＥＲ.de", "x@bucher.de"),
    ("x@💩.la", "x@xn--ls8h.la"),
    ("x@bü-.example", "x@xn--b--xka.example"),
    # A domain UTS #46 refuses is compared in lower case, NFC.
    (f"x@A{ZWJ}B.example", f"x@a{ZWJ}b.example"),
    ("x@BÜCHER.123", "x@bücher.123"),
    ("x@[192.0.2.1]", "x@[192.0.2.1]"),
]

# (header text, what a reader sees): RFC 2047 decoded word by word, then NFKC.
SHOWN = [
    ("=?utf-8?Q?a=40b.example?=", "a@b.example"),
    ("=?UTF-8?q?a=40b.example_c?=", "a@b.example c"),
    ("=?utf-8?B?YUBiLmV4YW1wbGU=?=", "a@b.example"),
    ("=?utf-8?B?YUBiLmV4YW1wbGU?=", "a@b.example"),  # forgiving base64
    ("=?utf-8?B?YUBi?==?utf-8?B?LmV4YW1wbGU=?=", "a@b.example"),
    ("=?utf-8?q?a?= \t =?utf-8?q?=40b.example?=", "a@b.example"),  # RFC 2047 §6.2
    ("x =?utf-8?q?=40b.example?=", "x @b.example"),
    ('"=?utf-8?q?a=40b.example?="', '"a@b.example"'),
    ("=?utf-8*en?q?a=40b?=", "a@b"),  # RFC 2231 §5: a language
    ("=?iso-8859-1?q?J=F6rg?=", "Jörg"),
    ("a\uff20b\uff0eexample", "a@b.example"),  # full-width forms: NFKC
    ("=?utf-8?q?a\uff20b?=", "=?utf-8?q?a@b?="),  # not ASCII: not decoded
    ("=?bogus?q?a=40b?=", "=?bogus?q?a=40b?="),
    ("=?utf-8?B?YUBiL?=", "=?utf-8?B?YUBiL?="),  # not base64
    ("=?utf-8?q?=FF?=", "=?utf-8?q?=FF?="),  # not UTF-8
    ("plain a@b.example", "plain a@b.example"),
]


def _values(raw: bytes) -> dict[str, list[str]] | None:
    """The header values as strings, or None when they only exist as bytes (or the
    input is not a message)."""
    from bccguard.core.header_block import parse_header_block

    block = parse_header_block(raw)
    if not block.fields:
        return None
    values: dict[str, list[str]] = {}
    for name in FIELDS:
        values[name] = []
        for field in block.all(name):
            value = field.unfolded()
            if field.repaired or b"\x00" in value:
                return None
            try:
                values[name].append(value.decode("utf-8"))
            except UnicodeDecodeError:
                return None
    # The Resent- forms only where a message has them, to keep the file short.
    return {k: v for k, v in values.items() if v or not k.startswith("resent-")}


def build() -> list[dict[str, Any]]:
    """Every vector, in corpus order."""
    from bccguard.core.address_list import parse_address_list

    corpus = json.loads((HERE / "corpus.json").read_text(encoding="utf-8"))
    vectors = []
    for name in sorted(corpus):
        entry = corpus[name]
        headers = _values((HERE / "corpus" / name).read_bytes())
        if headers is None:
            continue
        own = [
            a.addr
            for name in SENDERS
            for value in headers.get(name, [])
            for a in parse_address_list(value).addresses
        ]
        vectors.append(
            {
                "name": name.removesuffix(".eml"),
                "headers": headers,
                "policy": {
                    "threshold": entry["threshold"],
                    "trusted_domains": entry["trusted_domains"],
                    "own_addresses": own,
                },
                "expected": {
                    "verdict": entry["verdict"],
                    "visible_count": entry["visible_count"],
                    "exposed_count": entry["exposed_count"],
                    "visible": sorted(entry["visible"]),
                },
            }
        )
    return vectors


PARENTS = [f"Parent {i} <parent{i}@home{i}.example>" for i in range(4)]
TEAM = [f"t{i}@Team.Example" for i in range(14)]
BCC = {
    "name": "Parents 3B",
    "effect": "bcc",
    "addresses": [f"PARENT{i}@home{i}.example" for i in range(4)],
}
NEVER = {"name": "Team", "effect": "never-hold", "domains": ["team.example"]}
LOOSE = {
    "name": "Big team",
    "effect": "threshold",
    "threshold": 30,
    "domains": ["@TEAM.example."],
}
STRICT = {
    "name": "Patients",
    "effect": "threshold",
    "threshold": 1,
    "domains": ["bücher.de"],
}
# (name, To, Cc, policy values, rules): the outcome comes from the Python core.
RULE_CASES: list[tuple[str, list[str], list[str], dict[str, Any], list[Any]]] = [
    ("bcc-list-under-threshold", PARENTS, [], {}, [BCC]),
    (
        "bcc-list-with-strangers-blocking",
        PARENTS[:1],
        [f"s{i}@x{i}.example" for i in range(20)],
        {"action": "block"},
        [BCC],
    ),
    ("bcc-lone-recipient", PARENTS[:1], ["me@school.example"], {}, [BCC]),
    ("bcc-doubtful-headers", PARENTS, ["<broken"], {}, [BCC]),
    (
        "bcc-trusted-colleagues",
        ["a@team.example", "b@team.example"],
        [],
        {"trusted_domains": ["team.example"]},
        [{**BCC, "addresses": [], "domains": ["team.example"]}],
    ),
    ("never-hold-team", TEAM, [], {}, [NEVER]),
    ("never-hold-outsider", TEAM, ["outsider@elsewhere.example"], {}, [NEVER]),
    (
        "never-hold-subdomain",
        [f"x{i}@eu.team.example" for i in range(12)],
        [],
        {},
        [NEVER],
    ),
    ("loose-threshold-covers", TEAM, [], {}, [LOOSE]),
    ("loose-threshold-outsider", TEAM, ["o@elsewhere.example"], {}, [LOOSE]),
    (
        "strict-threshold-touches",
        ["p@eu.BÜCHER.de", "a@b.example"],
        ["c@d.example"],
        {},
        [STRICT],
    ),
    ("strict-threshold-absent", ["a@b.example", "c@d.example"], [], {}, [STRICT]),
    (
        "stricter-wins",
        TEAM,
        [],
        {},
        [
            NEVER,
            LOOSE,
            {
                "name": "Small",
                "effect": "threshold",
                "threshold": 12,
                "domains": ["team.example"],
            },
        ],
    ),
    (
        "bcc-wins-over-never-hold",
        TEAM,
        [],
        {},
        [NEVER, {**BCC, "addresses": ["t3@team.example"]}],
    ),
    (
        "account-threshold-under-rule",
        TEAM,
        [],
        {"threshold": 20},
        [
            {
                "name": "Small",
                "effect": "threshold",
                "threshold": 12,
                "addresses": ["t0@team.example"],
            }
        ],
    ),
]


def _rule(values: dict[str, Any]) -> Any:
    from bccguard.core.recipient_rules import Effect, RecipientRule

    return RecipientRule.build(
        values["name"],
        Effect(values["effect"]),
        threshold=values.get("threshold"),
        addresses=values.get("addresses", []),
        domains=values.get("domains", []),
    )


def build_rules() -> list[dict[str, Any]]:
    """The recipient-rule vectors, with the Python core's outcome."""
    from bccguard.core.message import read_message
    from bccguard.core.policy import Action, Policy
    from bccguard.core.verdict import check

    vectors = []
    for name, to, cc, values, rules in RULE_CASES:
        headers = {"from": ["Me <me@school.example>"], "to": [", ".join(to)]}
        if cc:
            headers["cc"] = [", ".join(cc)]
        policy = {
            "threshold": values.get("threshold", 10),
            "trusted_domains": values.get("trusted_domains", []),
            "action": values.get("action", "ask"),
            "rules": [_rule(r).to_json() for r in rules],
        }
        raw = "".join(f"{k}: {v[0]}\r\n" for k, v in headers.items()) + "\r\n"
        verdict = check(
            read_message(raw.encode()),
            Policy.build(
                threshold=policy["threshold"],
                trusted_domains=policy["trusted_domains"],
                action=Action(policy["action"]),
                rules=[_rule(r) for r in rules],
            ),
        ).to_json()
        vectors.append(
            {
                "name": name,
                "headers": headers,
                "policy": policy,
                "expected": {
                    **{
                        k: verdict[k]
                        for k in (
                            "verdict",
                            "action",
                            "threshold",
                            "exposed_count",
                            "rules",
                            "recipient_rule",
                        )
                    },
                    "rule_reasons": [
                        r for r in verdict["reasons"] if r.startswith("rule '")
                    ],
                },
            }
        )
    return vectors


def render() -> str:
    """The file's exact text."""
    document = {
        "about": "Recipient-check vectors shared by the Python core and the "
        "Thunderbird plugin; generated by tests/data/make_shared_vectors.py.",
        "vectors": build(),
        "rule_vectors": build_rules(),
        "identities": [{"written": w, "key": k} for w, k in IDENTITIES],
        "shown": [{"text": t, "shown": s} for t, s in SHOWN],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent / "desktop"))
    (HERE / "shared_vectors.json").write_text(render(), encoding="utf-8")
