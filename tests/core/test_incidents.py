"""The incident model, the 72-hour clock, and the breach record exports."""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import replace

import pytest

from bccguard.core.held import HeldMessage
from bccguard.core.incident_export import CSV_COLUMNS, ExportFormat, export_incidents
from bccguard.core.incidents import (
    NOTIFY_WITHIN,
    Incident,
    IncidentEvent,
    IncidentKind,
    breach_record,
    domain_counts,
    format_remaining,
    notification_clock,
)
from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.core.verdict import check

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z
EXPOSED = ["a@gmail.com", "b@gmail.com", "c@Libero.it", "d@gmail.com", "e@x.example"]

ART_33_5_FIELDS = {
    "what_happened",
    "occurred_at",
    "discovered_at",
    "people_affected",
    "domains",
    "effects",
    "actions_taken",
}


def incident(**changes: object) -> Incident:
    base = Incident.new(
        IncidentKind.SENT_AS_IS,
        T0,
        exposed=EXPOSED,
        message_id="<m1@x.example>",
        subject="Christmas greetings",
        sender="anna@x.example",
    )
    return replace(base, **{"id": "inc1", **changes})  # type: ignore[arg-type]


def test_new_incident_counts_people_and_domains() -> None:
    new = incident()
    assert new.exposed_count == 5
    assert new.domains == (("gmail.com", 3), ("libero.it", 1), ("x.example", 1))
    assert new.actions == (IncidentEvent(T0, "sent-as-is"),)
    assert new.discovered_at == T0


def test_domain_counts_orders_by_count_then_name() -> None:
    assert domain_counts(["x@b.org", "y@a.org", "z@b.org"]) == (
        ("b.org", 2),
        ("a.org", 1),
    )


def test_from_held_keeps_the_verdict_numbers() -> None:
    to = ", ".join(f"p{i}@d{i % 3}.example" for i in range(15))
    data = f"From: me@x.example\r\nTo: {to}\r\nSubject: Party\r\n\r\nhi\r\n".encode()
    verdict = check(read_message(data), Policy())
    held = HeldMessage.from_verdict(
        held_id="h1",
        received_at=T0,
        mail_from="me@x.example",
        recipients=[],
        data=data,
        verdict=verdict,
    )
    made = Incident.from_held(held, IncidentKind.HELD, T0 + 1)
    assert made.held_id == "h1"
    assert made.exposed_count == 15
    assert made.domains == held.domains
    assert made.subject == "Party"
    assert made.kind is IncidentKind.HELD


def test_with_action_appends_and_may_change_kind() -> None:
    held = replace(incident(), kind=IncidentKind.HELD)
    later = held.with_action(IncidentEvent(T0 + 5, "converted"), IncidentKind.CONVERTED)
    assert later.kind is IncidentKind.CONVERTED
    assert [a.action for a in later.actions] == ["sent-as-is", "converted"]
    assert held.kind is IncidentKind.HELD  # values, never edited in place


def test_clock_deadline_is_72_hours_after_discovery() -> None:
    found = incident(discovered_at=T0 + 3600)
    clock = notification_clock(found, now=T0 + 3600 + 10 * 3600)
    assert clock.deadline == T0 + 3600 + 72 * 3600
    assert clock.remaining == 62 * 3600
    assert not clock.overdue
    late = notification_clock(found, now=clock.deadline + 60)
    assert late.overdue
    assert late.remaining == -60


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (NOTIFY_WITHIN, "72 h 00 min left"),
        (41 * 3600 + 12 * 60 + 59, "41 h 12 min left"),
        (0, "0 h 00 min left"),
        (-(3 * 3600 + 5 * 60), "overdue by 3 h 05 min"),
    ],
)
def test_format_remaining(seconds: float, text: str) -> None:
    assert format_remaining(seconds) == text


def test_breach_record_has_the_art_33_5_facts() -> None:
    record = breach_record(
        incident().with_action(IncidentEvent(T0 + 60, "apology-sent", "group")),
        now=T0,
    )
    assert set(record) >= ART_33_5_FIELDS
    assert record["people_affected"] == 5
    assert record["domains"] == {"gmail.com": 3, "libero.it": 1, "x.example": 1}
    assert record["discovered_at"] == "2023-11-14T22:13:20+00:00"
    assert "5 recipients" in record["what_happened"]
    assert "5 people could see" in record["effects"]
    assert [a["action"] for a in record["actions_taken"]] == [
        "sent-as-is",
        "apology-sent",
    ]
    assert "notification_deadline" not in record  # not marked notifiable


def test_breach_record_of_a_notifiable_incident_shows_the_clock() -> None:
    record = breach_record(incident(possibly_notifiable=True), now=T0 + 3600)
    assert record["notification_deadline"] == "2023-11-17T22:13:20+00:00"
    assert record["time_remaining"] == "71 h 00 min left"


def test_a_held_message_exposed_nobody() -> None:
    record = breach_record(incident(kind=IncidentKind.HELD), now=T0)
    assert record["effects"].startswith("None")


def test_csv_export_parses_and_has_the_facts() -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(
                export_incidents(
                    [incident(), incident(id="inc2", subject='Quote "me", please')],
                    ExportFormat.CSV,
                    T0,
                ),
                newline="",
            )
        )
    )
    assert len(rows) == 2
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["people_affected"] == "5"
    assert rows[0]["domains"] == "gmail.com (3); libero.it (1); x.example (1)"
    assert rows[1]["subject"] == 'Quote "me", please'
    assert rows[0]["possibly_notifiable"] == "no"


def test_json_export_parses_and_has_the_facts() -> None:
    document = json.loads(
        export_incidents(
            [incident(possibly_notifiable=True)], ExportFormat.JSON, T0 + 7200
        )
    )
    (record,) = document["incidents"]
    assert set(record) >= ART_33_5_FIELDS
    assert record["time_remaining"] == "70 h 00 min left"
    assert document["generated_at"] == "2023-11-15T00:13:20+00:00"


def test_markdown_report_is_readable_and_shows_the_clock() -> None:
    text = export_incidents(
        [incident(possibly_notifiable=True, subject="*Sale* <b>now</b>")],
        ExportFormat.MD,
        T0,
    )
    assert text.startswith("# BccGuard breach record\n")
    assert "## Incident inc1: sent-as-is" in text
    assert "**Possibly notifiable.**" in text
    assert "2023-11-17T22:13:20+00:00" in text
    assert "72 h 00 min left" in text
    assert "- **People affected:** 5" in text
    assert "gmail.com (3), libero.it (1)" in text
    assert r"\*Sale\* \<b\>now\</b\>" in text  # message text cannot inject markup


def test_markdown_without_incidents() -> None:
    assert "No incidents recorded." in export_incidents([], ExportFormat.MD, T0)


def test_markdown_omits_the_clock_for_incidents_not_notifiable() -> None:
    text = export_incidents([incident()], ExportFormat.MD, time.time())
    assert "Possibly notifiable" not in text
