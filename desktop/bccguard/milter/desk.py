"""The milter's decisions carried out: the shared, thread-safe part of the milter.

libmilter calls each connection's callbacks on its own thread; they all ask one
``MilterDesk``, which reads the policy (reloaded on SIGHUP), decides, records
holds in the hold engine (the queue ID in the record) and incidents, and returns
what the connection must tell Postfix.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from bccguard.adapters.held_store import HeldStore, HeldStoreError
from bccguard.core.bcc_conversion import ToStyle
from bccguard.core.held import HeldState
from bccguard.core.incidents import (
    Incident,
    IncidentKind,
    IncidentLog,
    IncidentLogError,
)
from bccguard.core.settings import Settings
from bccguard.milter.config import MilterSettings
from bccguard.milter.decision import MilterAction, MilterDecision, braked, decide
from bccguard.milter.header_edits import HeaderEdit, conversion_edits
from bccguard.milter.message_head import MessageHead
from bccguard.milter.notices import Notice, is_automatic, is_notice, send_notice
from bccguard.milter.postfix_outlet import QUEUE_ID
from bccguard.milter.postfix_queue import PostfixQueue
from bccguard.milter.release_marker import MARKER_FIELD, ReleaseMarker
from bccguard.milter.thread_brake import ThreadBrake, referenced_ids
from bccguard.service.engine import HoldEngine

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Answer:
    """What one message's end tells Postfix."""

    action: MilterAction
    edits: tuple[HeaderEdit, ...] = ()
    reply: tuple[str, str, str] | None = None  # code, enhanced code, text
    quarantine: str = ""  # the hold queue's reason
    tempfail: bool = False
    decision: MilterDecision | None = field(default=None, compare=False)


class Policies:
    """The settings in force, replaced whole on reload (SIGHUP)."""

    def __init__(self, load: Callable[[], tuple[Settings, MilterSettings]]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._current = load()

    def current(self) -> tuple[Settings, MilterSettings]:
        """The settings and milter settings of this moment."""
        with self._lock:
            return self._current

    def reload(self) -> bool:
        """Read the settings again; a bad file keeps the old ones (logged)."""
        try:
            fresh = self._load()
        except Exception:
            log.exception("the settings could not be reloaded; keeping the old ones")
            return False
        with self._lock:
            self._current = fresh
        log.info("settings reloaded")
        return True


class MilterDesk:
    """Answers each message's end of data for every connection."""

    def __init__(
        self,
        policies: Policies,
        engine: HoldEngine,
        store: HeldStore,
        marker: ReleaseMarker,
        incidents: IncidentLog | None,
        *,
        threads: ThreadBrake | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._threads = threads
        # Notices go out beside the answer: Postfix and the mail program never
        # wait on sendmail (a notice lost in a crash is only a notice).
        self._notices = ThreadPoolExecutor(max_workers=2, thread_name_prefix="notice")
        self.policies = policies
        self._engine = engine
        self._store = store
        self._marker = marker
        self._incidents = incidents
        self._clock = clock

    def checks(self, authenticated: bool, client_address: str) -> bool:
        """True when the message is one the milter checks: an authenticated
        submission, or one from a trusted network when the settings say so."""
        if authenticated:
            return True
        return self.policies.current()[1].trusts_client(client_address)

    def release_under_way(self, head: MessageHead) -> bool:
        """True when ``head`` carries a genuine marker of a release being sent."""
        for name, value in head.fields:
            if name.lower() != MARKER_FIELD.lower():
                continue
            held_id = self._marker.held_id(value.decode("ascii", "replace"))
            record = self._store.get(held_id) if held_id else None
            if record is not None and record.state is HeldState.SENDING:
                return True
        return False

    def answer(self, head: MessageHead, queue_id: str, *, checked: bool) -> Answer:
        """What to tell Postfix at the end of one message."""
        strip = tuple(
            HeaderEdit(MARKER_FIELD, "", i)
            for i in reversed(head.indexes(MARKER_FIELD))
        )
        if strip and self.release_under_way(head):
            log.info("%s: a release BccGuard is sending; passed unchecked", queue_id)
            return Answer(MilterAction.PASS, strip)
        if not checked or is_notice(head):
            return Answer(MilterAction.PASS, strip)
        settings, milter = self.policies.current()
        decision = decide(
            head.mail_from,
            head.recipients,
            head.raw(),
            settings,
            milter,
            longest_field=head.longest_recipient_field(),
            tokens=head.most_recipient_tokens(),
        )
        decision = self._brake(decision, milter)
        verdict = decision.verdict
        log.info(
            "%s %s: %s (%d visible, %d exposed, threshold %d)",
            queue_id,
            verdict.message.message_id or "(no Message-ID)",
            decision.action.value,
            len(verdict.message.visible),
            len(verdict.exposed),
            verdict.threshold,
        )
        match decision.action:
            case MilterAction.PASS:
                return Answer(MilterAction.PASS, strip, decision=decision)
            case MilterAction.CONVERT:
                return self._convert(head, decision, settings, strip)
            case MilterAction.REJECT:
                self._record(
                    decision,
                    head.mail_from,
                    IncidentKind.DISCARDED,
                    "rejected by the mail server (550 5.7.1)",
                )
                self._notify(head, decision, milter, "")
                text = f"BccGuard: {_one_line(decision.reason)}"
                return Answer(
                    MilterAction.REJECT, reply=("550", "5.7.1", text), decision=decision
                )
            case MilterAction.HOLD:
                return self._hold(head, queue_id, decision, strip)

    def _convert(
        self,
        head: MessageHead,
        decision: MilterDecision,
        settings: Settings,
        strip: tuple[HeaderEdit, ...],
    ) -> Answer:
        count = len(decision.verdict.message.visible)
        note = f"converted to Bcc: {count} visible recipients hidden"
        edits = conversion_edits(head, ToStyle(settings.policy.to_style), note)
        self._record(
            decision,
            head.mail_from,
            IncidentKind.CONVERTED,
            "converted to Bcc by the mail server",
        )
        return Answer(MilterAction.CONVERT, (*strip, *edits), decision=decision)

    def _hold(
        self,
        head: MessageHead,
        queue_id: str,
        decision: MilterDecision,
        strip: tuple[HeaderEdit, ...],
    ) -> Answer:
        # The record names the queue file, and is unique to it: the same message
        # sent twice is two queue files, two records.
        data = head.raw() + f"Held in Postfix's hold queue as {queue_id}.\r\n".encode()
        try:
            record = self._engine.hold(
                mail_from=head.mail_from,
                recipients=tuple(head.recipients),
                data=data,
                # The record says why it was held (a cut header, the brake) first.
                verdict=replace(decision.verdict, reasons=decision.reasons),
                extra={QUEUE_ID: queue_id},
            )
        except HeldStoreError:
            log.exception("%s: the hold could not be recorded", queue_id)
            return Answer(MilterAction.HOLD, tempfail=True, decision=decision)
        self._notify(head, decision, self.policies.current()[1], record.id)
        reason = f"BccGuard {record.id}: {_one_line(decision.reason)}"
        return Answer(
            MilterAction.HOLD, strip, quarantine=reason[:200], decision=decision
        )

    def _brake(
        self, decision: MilterDecision, milter: MilterSettings
    ) -> MilterDecision:
        """The reply-all brake on a passing message; remember an exposing one."""
        if decision.action is not MilterAction.PASS or self._threads is None:
            return decision
        verdict = decision.verdict
        visible = len(verdict.message.visible)
        if visible <= verdict.threshold:
            return decision  # not to many: neither a storm nor an exposing original
        reason = self._threads.reply(
            referenced_ids(verdict.message), milter.brake_replies, milter.brake_minutes
        )
        if reason is not None:
            return braked(decision, reason)
        self._threads.remember(verdict.message.message_id, visible)
        return decision

    def _notify(
        self,
        head: MessageHead,
        decision: MilterDecision,
        milter: MilterSettings,
        held_id: str,
    ) -> None:
        """Tell the sender (RFC 3834: never in reply to an automatic message)."""
        if not milter.notify or is_automatic(head):
            return
        message = decision.verdict.message
        notice = Notice(
            sender=head.mail_from,
            subject=message.subject,
            message_id=message.message_id,
            recipients=len(head.recipients),
            reason=_one_line(decision.reason),
            held_id=held_id,
        )
        self._notices.submit(send_notice, PostfixQueue(milter), notice)

    def _record(
        self, decision: MilterDecision, sender: str, kind: IncidentKind, notes: str
    ) -> None:
        if self._incidents is None:
            return
        message = decision.verdict.message
        try:
            self._incidents.record(
                Incident.new(
                    kind,
                    self._clock(),
                    exposed=[a.addr for a in decision.verdict.exposed],
                    message_id=message.message_id,
                    subject=message.subject,
                    sender=sender,
                    notes=notes,
                )
            )
        except IncidentLogError:
            log.exception("could not record %s", message.message_id)


def _one_line(text: str) -> str:
    return " ".join(text.split())
