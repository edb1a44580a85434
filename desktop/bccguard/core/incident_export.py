"""The breach record export: CSV, JSON and a readable report (GDPR Art. 33(5))."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from bccguard.core.incidents import Incident, breach_record, iso_time

CSV_COLUMNS = (
    "id",
    "kind",
    "what_happened",
    "occurred_at",
    "discovered_at",
    "people_affected",
    "domains",
    "effects",
    "actions_taken",
    "possibly_notifiable",
    "notification_deadline",
    "time_remaining",
    "reply_all_count",
    "message_id",
    "subject",
    "sender",
    "notes",
)


class ExportFormat(StrEnum):
    """The export formats ``incidents export --format`` accepts."""

    CSV = "csv"
    JSON = "json"
    MD = "md"


def export_incidents(
    incidents: Sequence[Incident], fmt: ExportFormat, now: float
) -> str:
    """All ``incidents`` as one document in ``fmt``, the 72 h clock taken at ``now``."""
    records = [breach_record(i, now) for i in incidents]
    match fmt:
        case ExportFormat.CSV:
            return _csv(records)
        case ExportFormat.JSON:
            document = {"generated_at": iso_time(now), "incidents": records}
            return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        case ExportFormat.MD:
            return _markdown(records, now)


def _csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")  # RFC 4180
    writer.writeheader()
    for record in records:
        row = {key: record.get(key, "") for key in CSV_COLUMNS}
        row["domains"] = "; ".join(f"{d} ({n})" for d, n in record["domains"].items())
        row["actions_taken"] = "; ".join(
            _action_text(a) for a in record["actions_taken"]
        )
        row["possibly_notifiable"] = "yes" if record["possibly_notifiable"] else "no"
        writer.writerow(row)
    return out.getvalue()


def _action_text(action: dict[str, str]) -> str:
    detail = f" ({action['detail']})" if action["detail"] else ""
    return f"{action['at']} {action['action']}{detail}"


def _markdown(records: list[dict[str, Any]], now: float) -> str:
    lines = [
        "# BccGuard breach record",
        "",
        f"Generated {iso_time(now)} (UTC). One section per incident, with the facts, "
        "effects and remedial action that GDPR Art. 33(5) asks to document.",
    ]
    if not records:
        lines += ["", "No incidents recorded."]
    for record in records:
        lines += ["", *_markdown_section(record)]
    return "\n".join(lines) + "\n"


def _markdown_section(record: dict[str, Any]) -> list[str]:
    domains = ", ".join(f"{d} ({n})" for d, n in record["domains"].items()) or "none"
    lines = [
        f"## Incident {record['id']}: {record['kind']}",
        "",
    ]
    if record["possibly_notifiable"]:
        lines += [
            f"> **Possibly notifiable.** Notify the supervisory authority by "
            f"{record['notification_deadline']} (UTC): {record['time_remaining']} "
            "(GDPR Art. 33(1): 72 hours after discovery).",
            "",
        ]
    lines += [
        f"- **What happened:** {record['what_happened']}",
        f"- **When it happened:** {record['occurred_at']} (UTC)",
        f"- **When it was discovered:** {record['discovered_at']} (UTC)",
        f"- **People affected:** {record['people_affected']}",
        f"- **Domains:** {domains}",
        f"- **Data concerned:** {record['data_concerned']}",
        f"- **Effects:** {record['effects']}",
        f"- **Message:** {_md(record['subject']) or '(no subject)'} "
        f"{_md(record['message_id'])}".rstrip(),
        f"- **Sender:** {_md(record['sender']) or 'unknown'}",
        "- **What was done, and when:**",
    ]
    lines += [f"  - {_md(_action_text(a))}" for a in record["actions_taken"]]
    if record["notes"]:
        lines.append(f"- **Notes:** {_md(record['notes'])}")
    return lines


def _md(text: str) -> str:
    """Text from a message, made inert in Markdown (no markup, no raw HTML)."""
    out = str(text).replace("\r", " ").replace("\n", " ")
    for char in "\\`*_[]<>#|":
        out = out.replace(char, "\\" + char)
    return out
