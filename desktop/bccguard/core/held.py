"""Held messages as values: what was held, why, how far its delivery got, and what
the user decided.

A record is the hold engine's unit of durable state. Every change is a new record
made by one of the transition methods below; the engine writes it to the store
before it acts on it. The states and who moves a record between them:

- ``waiting``: the policy held it; the user decides (convert, as is, discard).
- ``queued``: decided (or taken on from a pass-through); sent when its account's
  relay is free and ``next_attempt`` has come (a backoff after a temporary refusal,
  or a countdown before sending).
- ``sending``: an attempt is under way; ``dot_sent`` says whether the final dot of
  the batch in flight has gone, which decides what a crash means.
- ``uncertain``: the connection (or BccGuard) died after the final dot and before
  the server's reply: it may have gone out. The user decides: send again, it went
  out, or discard.
- ``needs-sign-in``: the server refused the login; the message waits until the
  account's credentials change, then it is queued again.
- ``sent`` (everyone accepted), ``partly-sent`` (some refused for good, or still
  not accepted after the last retry), ``failed`` (nobody got it), ``discarded``.

No state is a dead end: every one but ``sending`` (which ends by itself, or becomes
``queued``/``uncertain`` at the next start) can be released or discarded, and a
release only ever goes to recipients not yet delivered: at most once per recipient.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from bccguard.core.verdict import Verdict


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """How often a temporarily refused message is tried, and the pauses between."""

    delays: tuple[float, ...] = (30.0, 60.0, 120.0, 300.0, 600.0)
    max_attempts: int = 6

    def delay(self, attempts: int) -> float:
        """Seconds to wait after attempt number ``attempts`` (1 for the first)."""
        if not self.delays:
            return 0.0
        return self.delays[min(max(attempts - 1, 0), len(self.delays) - 1)]


class HeldError(Exception):
    """A transition the record's state does not allow; the text is for the user."""


class Resolution(StrEnum):
    """The user's answer to a held message."""

    BCC = "bcc"  # convert to Bcc, then send
    AS_IS = "as-is"  # send as it is
    DISCARD = "discard"  # do not send (or stop trying)
    WENT_OUT = "went-out"  # an uncertain message did go out: do not send again
    INDIVIDUALLY = "individually"  # one copy per recipient (``core.one_by_one``)


class Origin(StrEnum):
    """Why BccGuard has the message."""

    HELD = "held"  # the policy held it
    PASSED = "passed"  # it passed, and BccGuard took it on to finish delivery


class HeldState(StrEnum):
    """Where a held message stands."""

    WAITING = "waiting"
    QUEUED = "queued"
    SENDING = "sending"
    UNCERTAIN = "uncertain"
    NEEDS_SIGN_IN = "needs-sign-in"
    SENT = "sent"
    PARTLY_SENT = "partly-sent"
    FAILED = "failed"
    DISCARDED = "discarded"

    @property
    def final(self) -> bool:
        """True once nothing more will happen to the message by itself."""
        return self in _FINAL

    @property
    def needs_user(self) -> bool:
        """True when the message waits for the user's answer."""
        return self in (HeldState.WAITING, HeldState.UNCERTAIN)


_FINAL = frozenset(
    {HeldState.SENT, HeldState.PARTLY_SENT, HeldState.FAILED, HeldState.DISCARDED}
)
# What each answer may follow. A release goes to the recipients not yet delivered.
_ALLOWED: dict[Resolution, frozenset[HeldState]] = {
    Resolution.BCC: frozenset(
        {
            HeldState.WAITING,
            HeldState.UNCERTAIN,
            HeldState.NEEDS_SIGN_IN,
            HeldState.FAILED,
            HeldState.PARTLY_SENT,
        }
    ),
    Resolution.DISCARD: frozenset(
        {
            HeldState.WAITING,
            HeldState.QUEUED,
            HeldState.UNCERTAIN,
            HeldState.NEEDS_SIGN_IN,
            HeldState.FAILED,
            HeldState.PARTLY_SENT,
        }
    ),
    Resolution.WENT_OUT: frozenset({HeldState.UNCERTAIN}),
}
_ALLOWED[Resolution.AS_IS] = _ALLOWED[Resolution.BCC]
_ALLOWED[Resolution.INDIVIDUALLY] = _ALLOWED[Resolution.BCC]


class Delivery(StrEnum):
    """What became of one recipient in one attempt."""

    ACCEPTED = "accepted"
    DEFERRED = "deferred"  # refused for now (4xx, or the server unreachable)
    REFUSED = "refused"  # refused for good (5xx)
    UNCERTAIN = "uncertain"  # the final dot went, the reply never came
    NEEDS_SIGN_IN = "needs-sign-in"  # the login was refused


@dataclass(frozen=True, slots=True)
class RecipientOutcome:
    """One recipient's fate in one attempt, with the server's own words."""

    address: str
    delivery: Delivery
    code: int
    text: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A recipient the server refused, and what it said."""

    address: str
    code: int
    text: str


def dedup_key(message_id: str, recipients: Sequence[str], data: bytes) -> str:
    """Identity of a submission: a client's retry of the same message has the same key.

    Message-ID plus the body and the envelope: a retry may re-stamp headers such as
    Date, but keeps these.
    """
    digest = hashlib.sha256()
    digest.update(message_id.strip().encode("utf-8", "replace"))
    for rcpt in sorted(r.lower() for r in recipients):
        digest.update(b"\0" + rcpt.encode("utf-8", "replace"))
    split = data.find(b"\r\n\r\n")
    body = memoryview(data)[split:] if split >= 0 and message_id.strip() else data
    digest.update(b"\0\0")
    digest.update(body)  # a view: a 10 MB message is not copied for its key
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class HeldMessage:
    """One message BccGuard keeps: its envelope, what the check found, its fate."""

    id: str
    received_at: float
    mail_from: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str
    key: str
    size: int
    visible_count: int
    exposed_count: int
    threshold: int
    domains: tuple[tuple[str, int], ...]
    exposed: tuple[str, ...]
    reasons: tuple[str, ...]
    state: HeldState = HeldState.WAITING
    resolution: Resolution | None = None
    decided_at: float | None = None
    outcome: str = ""
    origin: Origin = Origin.HELD
    # Delivery progress, recipient by recipient (envelope addresses as given).
    delivered: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()
    deferred: tuple[Refusal, ...] = ()  # pending, last refused for now: why
    uncertain: tuple[str, ...] = ()  # may have got it: the user decides
    in_flight: tuple[str, ...] = ()  # the batch of the attempt under way
    dot_sent: bool = False  # its final dot has gone
    attempts: int = 0
    next_attempt: float = 0.0
    has_data: bool = True  # False: known from the journal only (client keeps it)
    account: str = ""  # the account it goes out through ("" before it is known)
    # A passing message that waits until then for the user's Undo before it goes
    # (``core.countdown``); 0: it is not counting down.
    countdown_until: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_verdict(
        cls,
        *,
        held_id: str,
        received_at: float,
        mail_from: str,
        recipients: Sequence[str],
        data: bytes,
        verdict: Verdict,
        origin: Origin = Origin.HELD,
    ) -> HeldMessage:
        """A new waiting record for a message the check held (or one taken on)."""
        message = verdict.message
        return cls(
            id=held_id,
            received_at=received_at,
            mail_from=mail_from,
            recipients=tuple(recipients),
            subject=message.subject,
            message_id=message.message_id,
            key=dedup_key(message.message_id, recipients, data),
            size=len(data),
            visible_count=len(message.visible),
            exposed_count=len(verdict.exposed),
            threshold=verdict.threshold,
            domains=tuple(verdict.exposed_domains()),
            exposed=tuple(a.addr for a in verdict.exposed),
            reasons=verdict.reasons,
            origin=origin,
        )

    # -- what is left ------------------------------------------------------------

    @property
    def answers(self) -> tuple[Resolution, ...]:
        """The answers the user can give now (none while an attempt is under way)."""
        found = [r for r in Resolution if self.state in _ALLOWED[r]]
        if not self.has_data:
            found = [r for r in found if r in (Resolution.DISCARD, Resolution.WENT_OUT)]
        return tuple(found)

    @property
    def pending(self) -> tuple[str, ...]:
        """Recipients who have not got it and are not refused for good."""
        done = {*self.delivered, *self.uncertain, *(r.address for r in self.refused)}
        return tuple(dict.fromkeys(r for r in self.recipients if r not in done))

    @property
    def undelivered(self) -> tuple[str, ...]:
        """Every recipient not known to have it (pending, uncertain, refused)."""
        got = set(self.delivered)
        return tuple(dict.fromkeys(r for r in self.recipients if r not in got))

    # -- transitions (each returns a new record) ---------------------------------

    def decided(
        self, resolution: Resolution, at: float, *, why: str = "you said it went out"
    ) -> HeldMessage:
        """This record with the user's answer (``why``: how "it went out" is known).

        Raises:
            HeldError: the answer does not fit the state (e.g. a message being
                sent right now, or "it went out" for one that is not uncertain).
        """
        if self.state not in _ALLOWED[resolution]:
            now = "already " if self.state.final else ""
            raise HeldError(
                f"held message {self.id} is {now}{self.state.value}: "
                f"'{resolution.value}' does not apply"
            )
        if resolution is Resolution.DISCARD:
            text = "not sent" if not self.delivered else "stopped: the rest not sent"
            return replace(
                self,
                resolution=resolution if not self.delivered else self.resolution,
                decided_at=at,
                state=HeldState.DISCARDED,
                outcome=text,
                next_attempt=0.0,
            )
        if resolution is Resolution.WENT_OUT:
            went = replace(
                self,
                delivered=(*self.delivered, *self.uncertain),
                uncertain=(),
                decided_at=at,
            )
            if went.pending:
                return replace(
                    went,
                    state=HeldState.QUEUED,
                    next_attempt=at,
                    outcome=f"{why}; sending to the rest",
                )
            return went._settled(why)
        if not self.has_data:
            raise HeldError(
                f"BccGuard has no copy of {self.id}: send it again from your mail "
                "program, or say it went out"
            )
        # A new release: the refused and the uncertain get another chance.
        return replace(
            self,
            resolution=resolution,
            decided_at=at,
            state=HeldState.QUEUED,
            refused=(),
            uncertain=(),
            attempts=0,
            next_attempt=0.0,
        )

    def queued(
        self, resolution: Resolution, at: float, not_before: float
    ) -> HeldMessage:
        """A record BccGuard sends on its own (a pass-through it took on)."""
        return replace(
            self,
            resolution=resolution,
            decided_at=at,
            state=HeldState.QUEUED,
            next_attempt=not_before,
        )

    def attempt_started(self, batch: Iterable[str]) -> HeldMessage:
        """An attempt for ``batch`` begins (nothing of it sent yet)."""
        return replace(
            self, state=HeldState.SENDING, in_flight=tuple(batch), dot_sent=False
        )

    def dot_going(self) -> HeldMessage:
        """The final dot of the batch in flight is about to be sent."""
        return replace(self, dot_sent=True)

    def batch_done(self, outcomes: Iterable[RecipientOutcome]) -> HeldMessage:
        """Record what the server said to each recipient of one batch."""
        delivered = list(self.delivered)
        refused = list(self.refused)
        deferred = {r.address: r for r in self.deferred}
        uncertain = list(self.uncertain)
        for item in outcomes:
            deferred.pop(item.address, None)
            match item.delivery:
                case Delivery.ACCEPTED:
                    delivered.append(item.address)
                case Delivery.REFUSED:
                    refused.append(Refusal(item.address, item.code, item.text))
                case Delivery.UNCERTAIN:
                    uncertain.append(item.address)
                case Delivery.DEFERRED | Delivery.NEEDS_SIGN_IN:
                    deferred[item.address] = Refusal(item.address, item.code, item.text)
        return replace(
            self,
            delivered=tuple(dict.fromkeys(delivered)),
            refused=tuple(refused),
            deferred=tuple(deferred.values()),
            uncertain=tuple(dict.fromkeys(uncertain)),
            in_flight=(),
            dot_sent=False,
        )

    def attempt_finished(
        self, at: float, retry: RetryPlan, *, sign_in: bool = False
    ) -> HeldMessage:
        """Where the record stands after an attempt: done, retried later, or asks."""
        record = replace(self, attempts=self.attempts + 1, in_flight=(), dot_sent=False)
        if record.uncertain:
            return replace(
                record,
                state=HeldState.UNCERTAIN,
                outcome=f"may have been sent to {len(record.uncertain)}: the server "
                "did not confirm",
            )
        if record.pending and sign_in:
            reason = record.deferred[0].text if record.deferred else "login refused"
            return replace(record, state=HeldState.NEEDS_SIGN_IN, outcome=reason)
        if record.pending and record.attempts < retry.max_attempts:
            reason = record.deferred[0].text if record.deferred else ""
            return replace(
                record,
                state=HeldState.QUEUED,
                next_attempt=at + retry.delay(record.attempts),
                outcome=f"will try again: {reason}" if reason else "will try again",
            )
        return record._settled("")

    def _settled(self, note: str) -> HeldMessage:
        """The final state from what is known: nothing more happens by itself."""
        sent, total = len(self.delivered), len(set(self.recipients))
        if sent >= total:
            state, text = HeldState.SENT, f"sent to {sent}"
        elif sent:
            state, text = HeldState.PARTLY_SENT, f"sent to {sent} of {total}"
        else:
            state, text = HeldState.FAILED, "not sent"
        if self.refused or self.deferred:
            first = (self.refused or self.deferred)[0]
            text += f"; {first.address}: {first.code} {first.text}"
        return replace(self, state=state, outcome=f"{note}; {text}" if note else text)

    def recovered(self) -> HeldMessage:
        """This record as found at start-up after BccGuard stopped without warning."""
        if self.state is not HeldState.SENDING:
            return self
        if self.dot_sent:
            return replace(
                self,
                state=HeldState.UNCERTAIN,
                uncertain=(*self.uncertain, *self.in_flight),
                in_flight=(),
                dot_sent=False,
                outcome="may have been sent: BccGuard stopped while the server was "
                "confirming it",
            )
        return replace(
            self, state=HeldState.QUEUED, in_flight=(), next_attempt=0.0, outcome=""
        )

    def signed_in(self, at: float) -> HeldMessage:
        """The account's credentials changed: try again at once."""
        if self.state is not HeldState.NEEDS_SIGN_IN:
            return self
        return replace(self, state=HeldState.QUEUED, next_attempt=at, attempts=0)

    def finished(self, state: HeldState, outcome: str) -> HeldMessage:
        """This record with a final state set directly (tests, imports)."""
        return replace(self, state=state, outcome=outcome)

    # -- JSON ----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (the store's meta file and ``held list --json``)."""
        data = asdict(self)
        for name in ("recipients", "exposed", "reasons", "delivered", "uncertain"):
            data[name] = list(getattr(self, name))
        data["in_flight"] = list(self.in_flight)
        data["domains"] = [list(d) for d in self.domains]
        data["refused"] = [[r.address, r.code, r.text] for r in self.refused]
        data["deferred"] = [[r.address, r.code, r.text] for r in self.deferred]
        data["state"] = self.state.value
        data["origin"] = self.origin.value
        data["resolution"] = self.resolution.value if self.resolution else None
        data["pending"] = list(self.pending)
        data["answers"] = [r.value for r in self.answers]
        data["undelivered"] = list(self.undelivered)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeldMessage:
        """The inverse of :meth:`to_json` (older records lack the newer fields)."""
        values = {k: v for k, v in data.items() if k in _FIELDS}
        for name in ("recipients", "exposed", "reasons", "delivered", "uncertain"):
            values[name] = tuple(values.get(name, ()))
        values["in_flight"] = tuple(values.get("in_flight", ()))
        values["domains"] = tuple((str(d), int(n)) for d, n in values["domains"])
        for name in ("refused", "deferred"):
            values[name] = tuple(
                Refusal(str(a), int(c), str(t)) for a, c, t in values.get(name, ())
            )
        values["state"] = _old_state(values["state"])
        values["origin"] = Origin(values.get("origin", "held"))
        resolution = values.get("resolution")
        values["resolution"] = Resolution(resolution) if resolution else None
        values["extra"] = dict(values.get("extra", {}))
        return cls(**values)


_FIELDS = frozenset(HeldMessage.__dataclass_fields__)


def _old_state(value: str) -> HeldState:
    """States as written by this version and the ones before it."""
    return HeldState(value)
