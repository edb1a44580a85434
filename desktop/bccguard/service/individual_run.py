"""Send one by one: each copy of a run, paced within the account's daily budget.

The hold engine hands a run's record to :meth:`OneByOneSender.attempt` in the
account's worker when its next copy is due. One attempt sends one copy, to the
first recipient who has not got theirs, and only if the budget has room;
otherwise the record waits (``queued``) until it has. Before the copy's final dot
the record says so durably (``HoldEngine.dot_going``), so a crash right after it
makes that one copy "may have been sent" instead of sending it twice. Each copy
has the Message-ID the run gives its recipient: a retry after a crash before the
dot sends the very same message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from bccguard.adapters.send_budget_log import SendBudgetLog
from bccguard.core.held import Delivery, HeldMessage, RecipientOutcome
from bccguard.core.identity import address_key
from bccguard.core.individual_copies import copy_for, has_placeholder, recipients_of
from bccguard.core.one_by_one import (
    Offer,
    copy_done,
    greeting_of,
    next_copy,
    run_token,
    waiting_for_budget,
)
from bccguard.core.send_budget import SendBudget, finish_time
from bccguard.core.settings import Settings
from bccguard.service.engine import HoldEngine, MessageStore
from bccguard.service.relays import Relays

log = logging.getLogger(__name__)


class OneByOneSender:
    """The copies of one-by-one runs, within each account's daily budget."""

    def __init__(
        self,
        engine: HoldEngine,
        store: MessageStore,
        relays: Relays,
        sent_log: SendBudgetLog,
        settings: Callable[[], Settings],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._store = store
        self._relays = relays
        self._sent_log = sent_log
        self._settings = settings
        self._clock = clock

    def budget(self, account: str) -> SendBudget:
        """``account``'s budget now (ordinary mail counted too)."""
        limit = self._relays.sending_limit(account)
        return SendBudget(limit, self._sent_log.spent(account, self._clock()))

    def offer(self, record: HeldMessage) -> Offer:
        """What sending ``record`` one by one would take, from now."""
        data = self._store.data(record.id)
        copies = len(recipients_of(data, record.recipients))
        budget = self.budget(record.account)
        pause = self._settings().delivery.one_by_one_pause
        finish = finish_time(budget, self._clock(), copies, pause)
        return Offer(copies, budget.limit, finish, has_placeholder(data))

    def attempt(self, record: HeldMessage) -> HeldMessage:
        """Send the next copy of ``record``'s run, or wait; the record as it
        stands after, for the engine to write."""
        now = self._clock()
        pending = record.pending
        if not pending:
            return next_copy(record, now)
        budget = self.budget(record.account)
        if budget.room(now) < 1:
            until = budget.next_room(now)
            log.info("held %s: the daily budget is spent until %s", record.id, until)
            return waiting_for_budget(record, until)
        rcpt = pending[0]
        data = self._store.data(record.id)
        people = {a.key: a for a in recipients_of(data, record.recipients)}
        person = people[address_key(rcpt)]
        copy = copy_for(
            data,
            replace(person, addr=rcpt),
            run=run_token(record),
            greeting=greeting_of(record),
        )
        self._engine.progress(record.attempt_started(()))
        result = self._relays.send(
            record.mail_from,
            (rcpt,),
            copy,
            before_final_dot=lambda batch: self._engine.dot_going(record.id, batch),
        )
        outcomes = [o for o in result.outcomes() if o.address == rcpt]
        outcome = (
            outcomes[0]
            if outcomes
            else RecipientOutcome(rcpt, Delivery.DEFERRED, 451, "no answer")
        )
        current = self._engine.get(record.id) or record
        settings = self._settings()
        return copy_done(
            current,
            outcome,
            self._clock(),
            pause=settings.delivery.one_by_one_pause,
            retry=self._engine.retry_plan(),
        )
