"""The hold dialog's third way out: send one by one, explained before it sends;
the tray and the Held window show a run's progress."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from bccguard.core.held import HeldMessage, HeldState, Resolution
from bccguard.core.individual_copies import Greeting
from bccguard.core.one_by_one import Offer, copy_done, waiting_for_budget
from bccguard.core.send_budget import SendBudget, Spent, finish_time
from bccguard.ui.held_window import explanation, outcome_summary
from bccguard.ui.hold_dialog import HoldDialog
from bccguard.ui.one_by_one_text import duration_text, progress_lines
from bccguard.ui.tray import TrayActions, TrayMenu
from tests.ui.test_hold_dialog import held_message

pytestmark = pytest.mark.gui
NOW = time.time()


def estimate(held: HeldMessage) -> Offer:
    """Gmail's 500 a day, 480 already used today, a copy every 5 s."""
    budget = SendBudget(500, (Spent(NOW - 3600, 430),))
    copies = len(held.recipients)
    return Offer(copies, budget.limit, finish_time(budget, NOW, copies, 5.0))


def dialog_for(qtbot, sent: list[tuple[str, Greeting | None]], **kwargs) -> HoldDialog:
    decided: list[Resolution] = []
    dialog = HoldDialog(
        held_message(30),
        lambda i, r: decided.append(r),
        one_by_one=lambda i, g: sent.append((i, g)),
        estimate=estimate,
        **kwargs,
    )
    dialog.decided_ = decided  # type: ignore[attr-defined]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_the_third_way_names_the_copies_and_the_time_then_sends(qtbot) -> None:
    sent: list[tuple[str, Greeting | None]] = []
    dialog = dialog_for(qtbot, sent)
    assert dialog.one_by_one_button.isVisible()
    qtbot.mouseClick(dialog.one_by_one_button, Qt.MouseButton.LeftButton)
    assert dialog.offer.isVisible()
    assert not dialog.convert_button.isEnabled()  # only the offer's button sends
    text = dialog.offer.text.text()
    assert "30 copies, each addressed only to its recipient" in text
    assert "limit of 500 recipients a day" in text
    assert dialog.offer.send_button.text() == "Send 30 copies"
    assert not dialog.offer.fallback.isEnabled()
    assert not dialog.offer.greet.isChecked()  # the text has no {first_name}
    dialog.offer.greet.setChecked(True)
    assert dialog.offer.fallback.isEnabled()
    qtbot.keyClicks(dialog.offer.fallback, "friend")
    qtbot.mouseClick(dialog.offer.send_button, Qt.MouseButton.LeftButton)
    assert sent == [("abcd1234", Greeting("friend"))]
    assert dialog.decision is Resolution.INDIVIDUALLY
    assert dialog.decided_ == []  # type: ignore[attr-defined]
    assert not dialog.isVisible()


def test_without_the_greeting_the_text_is_left_as_it_is(qtbot) -> None:
    sent: list[tuple[str, Greeting | None]] = []
    dialog = dialog_for(qtbot, sent)
    qtbot.mouseClick(dialog.one_by_one_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.offer.send_button, Qt.MouseButton.LeftButton)
    assert sent == [("abcd1234", None)]


def test_back_and_escape_take_the_offer_back_and_decide_nothing(qtbot) -> None:
    sent: list[tuple[str, Greeting | None]] = []
    dialog = dialog_for(qtbot, sent)
    qtbot.mouseClick(dialog.one_by_one_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.offer.back_button, Qt.MouseButton.LeftButton)
    assert not dialog.offer.isVisible() and dialog.convert_button.isEnabled()
    qtbot.mouseClick(dialog.one_by_one_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and not dialog.offer.isVisible()
    assert sent == [] and dialog.decision is None


def test_no_third_way_without_a_guard_to_send_it_or_once_decided(qtbot) -> None:
    plain = HoldDialog(held_message(30), lambda i, r: None)
    qtbot.addWidget(plain)
    plain.show()
    assert not plain.one_by_one_button.isVisible()
    sent: list[tuple[str, Greeting | None]] = []
    dialog = dialog_for(qtbot, sent)
    dialog.show_record(dialog.held.finished(HeldState.UNCERTAIN, "may have"))
    assert not dialog.one_by_one_button.isVisible()


def test_beyond_the_day_s_budget_the_offer_says_days() -> None:
    budget = SendBudget(500, (Spent(NOW - 3600, 430),))
    finish = finish_time(budget, NOW, 600, 5.0)
    # 20 now, 430 in 23 hours (when the 430 of an hour ago end), 20 an hour
    # later, the last 130 a day after that: within two days.
    assert 47 * 3600 < finish - NOW < 48 * 3600
    assert duration_text(finish - NOW) == "about 2 days"
    assert duration_text(17 * 60) == "about 17 minutes"


def _run(sent: int, total: int = 200) -> HeldMessage:
    held = held_message(total)
    record = held.decided(Resolution.INDIVIDUALLY, NOW)
    return replace(record, delivered=record.recipients[:sent], attempts=sent)


def test_the_tray_and_the_held_window_show_the_progress(qtbot) -> None:
    run = _run(37)
    assert progress_lines([run, held_message(12)], NOW) == [
        "Sending one by one: 37 of 200"
    ]
    assert outcome_summary(run, NOW) == "Sending one by one: 37 of 200"
    assert "one after the other" in explanation(run, NOW)
    waiting = waiting_for_budget(run, NOW + 86_400)
    assert "daily limit reached, next copy at" in outcome_summary(waiting, NOW)
    menu = TrayMenu(
        TrayActions(
            open_check=lambda: None,
            open_held=lambda: None,
            open_settings=lambda: None,
            pause=lambda s: None,
            quit=lambda: None,
        )
    )
    menu.progress = progress_lines([run], NOW)
    menu.rebuild()
    assert "Sending one by one: 37 of 200" in menu.entries()


def test_a_paused_run_says_the_server_s_words_and_sends_the_rest_one_by_one(
    qtbot,
) -> None:
    from bccguard.core.held import Delivery, RecipientOutcome, RetryPlan
    from bccguard.ui.held_window import actions_for

    run = _run(12, 30)
    quota = RecipientOutcome(
        run.pending[0],
        Delivery.REFUSED,
        550,
        "5.4.5 Daily user sending quota exceeded.",
    )
    paused = copy_done(
        replace(run, state=HeldState.SENDING), quota, NOW, pause=5, retry=RetryPlan()
    )
    assert paused.state is HeldState.PARTLY_SENT
    summary = outcome_summary(paused, NOW)
    assert summary.startswith("Paused at 12 of 30: the server said 550 5.4.5")
    assert "when your provider allows it again" in explanation(paused, NOW)
    again = [a for a in actions_for(paused) if a.primary]
    assert again and again[0].resolution is Resolution.INDIVIDUALLY


def test_a_text_that_says_first_name_has_the_greeting_ticked(qtbot) -> None:
    def greeting_offer(held: HeldMessage) -> Offer:
        return replace(estimate(held), placeholder=True)

    sent: list[tuple[str, Greeting | None]] = []
    dialog = HoldDialog(
        held_message(30),
        lambda i, r: None,
        one_by_one=lambda i, g: sent.append((i, g)),
        estimate=greeting_offer,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.one_by_one_button, Qt.MouseButton.LeftButton)
    assert dialog.offer.greet.isChecked() and dialog.offer.fallback.isEnabled()
    qtbot.mouseClick(dialog.offer.send_button, Qt.MouseButton.LeftButton)
    assert sent == [("abcd1234", Greeting(""))]
