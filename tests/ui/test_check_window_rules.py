"""The check window says which recipient rule decided."""

from __future__ import annotations

import pytest

from bccguard.core.policy import Policy
from bccguard.core.recipient_rules import Effect, RecipientRule
from bccguard.ui.check_window import CheckWindow
from bccguard.ui.i18n import set_language

pytestmark = pytest.mark.gui

PARENTS = [f"parent{i}@home{i}.example" for i in range(3)]
RULE = RecipientRule.build("Parents 3B", Effect.BCC, addresses=PARENTS)
RAW = f"From: me@school.example\r\nTo: {', '.join(PARENTS)}\r\n\r\n".encode()


def _window(qtbot) -> CheckWindow:
    window = CheckWindow(lambda: Policy.build(rules=[RULE]))
    qtbot.addWidget(window)
    window.show_message(RAW)
    return window


def test_the_rule_is_the_first_reason(qtbot) -> None:
    window = _window(qtbot)
    assert window.banner.text() == "Would be held: rule 'Parents 3B' always sends Bcc"
    assert window.reasons.item(0).text() == "rule 'Parents 3B' always sends Bcc"


def test_the_rule_reason_in_italian(qtbot) -> None:
    set_language("it")
    try:
        window = _window(qtbot)
        expected = "la regola 'Parents 3B' invia sempre in Ccn"
        assert window.reasons.item(0).text() == expected
    finally:
        set_language("en")
