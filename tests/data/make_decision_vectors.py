"""Write decision_proof_vectors.json: decision proofs the plugin must reproduce.

The Thunderbird plugin signs a "send as is" (``plugin/modules/decision_proof.js``)
and the desktop app's proxy checks it (``bccguard.core.decision_proof``); both must
build the same header value from the same key, addresses and time. Each vector holds
the key (hex), the visible addresses as the plugin might hand them over (mixed case,
duplicates, spaces, non-ASCII), the time in seconds, the decisions proven ("as-is",
"delayed": Undo send waited in Thunderbird) and the expected header value.

Run from the repository root after changing the proof:

    python tests/data/make_decision_vectors.py

``tests/core/test_decision_vectors.py`` fails while the committed file is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VECTORS_FILE = HERE / "decision_proof_vectors.json"

# (name, local secret the key derives from, addresses, now in seconds); as is.
CASES: list[tuple[str, str, list[str], float]] = [
    ("two-people", "secret-one", ["a@x.example", "b@y.example"], 1_700_000_000),
    (
        "mixed-case-and-duplicates",
        "secret-one",
        [
            "Alice@Example.COM",
            "bob@b.example",
            "alice@example.com",
            " Carol@C.Example ",
            "BOB@B.EXAMPLE",
        ],
        1_700_000_059.75,
    ),
    (
        "next-minute",
        "secret-one",
        ["bob@b.example", "alice@example.com", "carol@c.example"],
        1_700_000_100,
    ),
    (
        "non-ascii-and-code-point-order",
        "secret-two",
        [
            "Jörg@Bücher.example",
            "ZOË@x.example",
            "\uff5e@x.example",
            "\U0001d51e@x.example",
        ],
        1_712_345_678,
    ),
    ("blank-entries-only", "secret-two", ["", "  ", "\t"], 1_712_345_678),
    (
        "thirty-people",
        "secret-three",
        [f"Person{i}@D{i}.example" for i in range(30)],
        1_750_000_000.5,
    ),
]
# (name, secret, addresses, now, decisions as the plugin lists them)
DECIDED: list[tuple[str, str, list[str], float, list[str]]] = [
    (
        "delayed-only",
        "secret-one",
        ["a@x.example", "B@Y.example"],
        1_700_000_000,
        ["delayed"],
    ),
    (
        "as-is-and-delayed",
        "secret-two",
        ["Alice@Example.COM", "bob@b.example", "alice@example.com"],
        1_712_345_678,
        ["delayed", "as-is", "delayed"],
    ),
]


def vectors() -> list[dict[str, Any]]:
    from bccguard.core.decision_proof import make_proof, proof_key

    cases = [(*case, ["as-is"]) for case in CASES] + DECIDED
    found = []
    for name, secret, addresses, now, decisions in cases:
        key = proof_key(secret)
        found.append(
            {
                "name": name,
                "key": key.hex(),
                "addresses": addresses,
                "now": now,
                "decisions": decisions,
                "expected": make_proof(key, addresses, now, decisions),
            }
        )
    return found


def render() -> str:
    """The file's text."""
    document = {
        "about": (
            "X-BccGuard-Decision values from bccguard.core.decision_proof.make_proof; "
            "written by tests/data/make_decision_vectors.py"
        ),
        "vectors": vectors(),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent / "desktop"))
    VECTORS_FILE.write_text(render(), encoding="utf-8")
