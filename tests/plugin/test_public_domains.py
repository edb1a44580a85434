"""The plugin's public mail domains are the desktop app's, no more and no fewer."""

from __future__ import annotations

import re
from pathlib import Path

from bccguard.core.public_domains import PUBLIC_MAIL_DOMAINS

JS = Path(__file__).resolve().parents[2] / "plugin" / "modules" / "public_domains.js"


def js_domains() -> list[str]:
    text = JS.read_text(encoding="utf-8")
    block = re.search(
        r"// BEGIN PUBLIC_MAIL_DOMAINS\n(.*?)// END PUBLIC_MAIL_DOMAINS", text, re.S
    )
    assert block is not None, "markers around the list are missing"
    return re.findall(r'"([^"]+)"', block.group(1))


def test_the_lists_are_the_same() -> None:
    found = js_domains()
    assert len(found) == len(set(found)), "a domain is listed twice in the plugin"
    assert set(found) == PUBLIC_MAIL_DOMAINS, (
        f"only in Python: {sorted(PUBLIC_MAIL_DOMAINS - set(found))}; "
        f"only in the plugin: {sorted(set(found) - PUBLIC_MAIL_DOMAINS)}"
    )
