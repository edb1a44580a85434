"""What the milter does with one message: pass, convert, hold or reject, and why.

One function, values in and out: the envelope and header fields, the policy from
``Settings.policy_for(sender)`` (the one every path asks) and the milter's own
settings. The verdict's action (the policy's, or convert for mail an always-Bcc
recipient rule covers) says what a held verdict becomes here: ask →
Postfix's hold queue (an administrator or the sender's release decides),
convert → To/Cc rewritten as the relay form, block → 550 5.7.1.
Fail closed: a recipient header Postfix may have cut is never counted as
complete, and input that is not a message is held, never passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bccguard.core.message import read_message
from bccguard.core.policy import Action
from bccguard.core.settings import Settings
from bccguard.core.verdict import Verdict, check
from bccguard.milter.config import MilterSettings

# Bytes short of header_size_limit at which a recipient field counts as cut:
# Postfix stops at the limit, and the last address before it may be a fragment.
_CUT_MARGIN = 1024
_CUT_TOKENS = 64


class MilterAction(StrEnum):
    """The milter's answer to Postfix for one message."""

    PASS = "pass"
    CONVERT = "convert"
    HOLD = "hold"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class MilterDecision:
    """One message's answer, the reasons a person can read, and the verdict."""

    action: MilterAction
    reasons: tuple[str, ...]
    verdict: Verdict

    @property
    def reason(self) -> str:
        """The first reason: what the sender is told."""
        return self.reasons[0] if self.reasons else ""


_FOR_ACTION = {
    Action.ASK: MilterAction.HOLD,
    Action.CONVERT: MilterAction.CONVERT,
    Action.BLOCK: MilterAction.REJECT,
}


def cut_reason(
    longest_field: int, header_size: int, tokens: int, milter: MilterSettings
) -> str | None:
    """Why the recipients may be incomplete, or None.

    Postfix discards what exceeds header_size_limit (bytes of one header) and
    header_address_token_limit (address tokens in one header) before a milter
    sees it, without a trace in the message: near either limit, the rest of the
    recipients may be gone.
    """
    limit = milter.header_size_limit
    if longest_field >= limit - _CUT_MARGIN or header_size >= limit:
        return (
            f"a recipient header of {longest_field} bytes may have been cut by the "
            f"mail server's header_size_limit ({limit} bytes): its recipients "
            "cannot all be counted"
        )
    token_limit = milter.header_address_token_limit
    if tokens >= token_limit - _CUT_TOKENS:
        return (
            f"a recipient header of {tokens} address tokens may have been cut by "
            f"the mail server's header_address_token_limit ({token_limit}): its "
            "recipients cannot all be counted"
        )
    return None


def decide(
    mail_from: str,
    recipients: list[str],
    raw_head: bytes,
    settings: Settings,
    milter: MilterSettings,
    *,
    longest_field: int,
    tokens: int = 0,
) -> MilterDecision:
    """The answer for one message.

    Args:
        mail_from: the envelope sender.
        recipients: the envelope recipients.
        raw_head: the header block as bytes.
        settings: the policy's settings (``policy_for`` decides).
        milter: the milter's own settings.
        longest_field: bytes of the longest visible recipient field.
        tokens: address tokens of the visible recipient field with most.
    """
    message = read_message(raw_head, envelope=recipients)
    policy = settings.policy_for(mail_from)
    verdict = check(message, policy)
    cut = cut_reason(longest_field, len(raw_head), tokens, milter)
    if cut is not None:
        return MilterDecision(MilterAction.HOLD, (cut, *verdict.reasons), verdict)
    if not verdict.held:
        return MilterDecision(MilterAction.PASS, verdict.reasons, verdict)
    action = _FOR_ACTION[verdict.action]  # a recipient rule may convert
    if action is MilterAction.CONVERT and message.not_a_message is not None:
        action = MilterAction.HOLD  # converting cannot make it a message
    return MilterDecision(action, verdict.reasons, verdict)


def braked(decision: MilterDecision, reason: str) -> MilterDecision:
    """``decision`` held by the reply-all brake for ``reason``."""
    return MilterDecision(
        MilterAction.HOLD, (reason, *decision.reasons), decision.verdict
    )
