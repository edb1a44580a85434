"""Held-message records in every state, built directly, for the UI tests."""

from __future__ import annotations

import time
from typing import Any

from bccguard.core.held import HeldMessage

NOW = time.mktime((2025, 3, 14, 10, 30, 0, 0, 0, -1))  # 10:30 local time


def recipients(count: int) -> list[str]:
    return [f"p{i}@d{i % 4}.example" for i in range(count)]


def record(held_id: str = "abcd1234", count: int = 30, **fields: Any) -> HeldMessage:
    """A record of a message to ``count`` people, with ``fields`` as in to_json."""
    people = recipients(count)
    data: dict[str, Any] = {
        "id": held_id,
        "received_at": NOW - 120,
        "mail_from": "me@x.example",
        "recipients": people,
        "subject": "Party",
        "message_id": f"<{held_id}@x.example>",
        "key": held_id * 4,
        "size": 1200,
        "visible_count": count,
        "exposed_count": count,
        "threshold": 10,
        "domains": [[f"d{i}.example", count // 4] for i in range(4)],
        "exposed": people,
        "reasons": ["many visible recipients"],
        "state": "waiting",
        "account": "work",
    }
    data.update(fields)
    return HeldMessage.from_json(data)


def in_state(state: str, held_id: str = "abcd1234", count: int = 30) -> HeldMessage:
    """A typical record in ``state`` (names as in ``held list --json``)."""
    people = recipients(count)
    half = count // 2
    match state:
        case "queued":
            return record(
                held_id,
                count,
                state=state,
                resolution="bcc",
                delivered=people[:half],
                deferred=[[a, 451, "4.7.1 Try again later"] for a in people[half:]],
                attempts=1,
                next_attempt=NOW + 12 * 60,
            )
        case "sending":
            return record(
                held_id, count, state=state, resolution="bcc", in_flight=people
            )
        case "uncertain":
            return record(
                held_id,
                count,
                state=state,
                resolution="bcc",
                uncertain=people,
                attempts=1,
                outcome="may have been sent to 30: the server did not confirm",
            )
        case "needs-sign-in":
            return record(
                held_id,
                count,
                state=state,
                resolution="bcc",
                deferred=[[a, 535, "5.7.8 Authentication failed"] for a in people],
                outcome="5.7.8 Authentication failed",
            )
        case "sent":
            return record(
                held_id,
                count,
                state=state,
                resolution="bcc",
                delivered=people,
                outcome=f"sent to {count}",
            )
        case "partly-sent":
            return record(
                held_id,
                count,
                state=state,
                resolution="bcc",
                delivered=people[2:],
                refused=[
                    [
                        people[0],
                        550,
                        f"5.1.1 <{people[0]}>: Recipient address rejected",
                    ],
                    [people[1], 552, "5.2.2 Mailbox full"],
                ],
                attempts=1,
                outcome="sent to 28 of 30; p0@d0.example: 550 5.1.1 ...",
            )
        case "failed":
            return record(
                held_id,
                count,
                state=state,
                resolution="as-is",
                refused=[[a, 554, "5.7.1 Message rejected as spam"] for a in people],
                attempts=1,
                outcome="not sent; p0@d0.example: 554 5.7.1 Message rejected as spam",
            )
        case "discarded":
            return record(held_id, count, state=state, outcome="not sent")
    return record(held_id, count, state=state)
