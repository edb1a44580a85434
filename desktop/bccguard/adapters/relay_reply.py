"""Turning a relay's per-batch outcomes into the one reply an SMTP client gets."""

from __future__ import annotations

from bccguard.adapters.smtp_proxy import one_line
from bccguard.adapters.smtp_relay import RelayResult
from bccguard.core.phrase import nphrase


def reply_for(result: RelayResult) -> str:
    """The SMTP reply that tells the client the truth about the relay.

    One batch: the upstream's own reply. Several: 250 when all went, the failing
    upstream reply when none did (4xx if any failure was temporary, so the client
    retries), and 250 with the count when some went — a client retrying that would
    deliver twice to those who already have it; BccGuard reports the rest itself.
    """
    batches = result.batches
    if not batches:
        return "554 5.5.1 no recipients"
    if len(batches) == 1:
        only = batches[0]
        refused = len(only.refused)
        text = one_line(only.text)
        if only.ok and refused:
            refusals = nphrase(
                "{n} recipient refused upstream",
                "{n} recipients refused upstream",
                refused,
            )
            text += f" ({refusals})"  # English on the wire, the right form for n
        return f"{only.code} {text}"
    failed = [b for b in batches if not b.ok]
    total = sum(len(b.recipients) for b in batches)
    if not failed:
        return f"250 2.0.0 Sent in {len(batches)} batches to {total} recipients"
    if len(failed) == len(batches):
        worst = next((b for b in failed if b.temporary), failed[0])
        return f"{worst.code} {one_line(worst.text)}"
    return (
        f"250 2.0.0 Sent to {len(result.delivered)} of {total} recipients; "
        f"{len(result.failed)} failed upstream: see BccGuard"
    )
