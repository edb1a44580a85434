"""End to end in a real headless Thunderbird: a recipient rule over an address-book
list converts a send to that list without asking."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import pytest

from tests.plugin.conftest import Thunderbird
from tests.plugin.thunderbird import SENDER, visible, wait_for, write_managed_storage
from tests.smtp_sink import SinkServer

pytestmark = pytest.mark.slow

MEMBERS = ["ann@home1.example", "bob@home2.example", "cy@home3.example"]


def test_a_send_to_an_always_bcc_address_book_list_is_converted(
    thunderbird: Thunderbird, upstream: SinkServer, tmp_path: Path
) -> None:
    # Three parents: far under the threshold, and the policy asks; the rule names
    # the address-book list, so the plugin converts without a question.
    rule = {"name": "Parents", "effect": "bcc", "lists": ["Parents 3B"]}
    write_managed_storage(tmp_path / "home", {"action": "ask", "rules": [rule]})
    run = thunderbird(
        {
            "to": [],
            "list": {"name": "Parents 3B", "members": MEMBERS},
            "subject": "Trip",
        }
    )
    assert run.result is not None, run.log
    assert run.result["outcome"] == "sent", run.log
    # A name with a space comes quoted in the angle brackets.
    assert run.result["to"] == ['Parents 3B <"Parents 3B">']
    assert wait_for(lambda: len(upstream.received) >= 1)
    message = message_from_bytes(upstream.received[0].data)
    assert visible(message) == {SENDER}
    assert set(MEMBERS) <= {r.lower() for r in upstream.received[0].rcpt_tos}
