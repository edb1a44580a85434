"""The ``bccguard incidents`` and ``bccguard apologize`` subcommands.

Errors are one line on stderr and exit code 2, like every other subcommand.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bccguard.adapters import paths
from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.adapters.private_files import write_private
from bccguard.cli_desktop import desktop_missing
from bccguard.cli_guard import GuardCliError
from bccguard.core.apology import (
    LANGUAGES,
    SITUATIONS,
    ApologyError,
    Audience,
    apology_values,
    available_templates,
    default_templates_dir,
    guess_name,
    load_template,
    render,
)
from bccguard.core.incident_export import ExportFormat, export_incidents
from bccguard.core.incidents import (
    Incident,
    IncidentLogError,
    format_remaining,
    iso_time,
    notification_clock,
)
from bccguard.i18n import ntr, tr, tr_phrase


class IncidentCliError(GuardCliError):
    """A user error in these commands: one line, exit code 2."""


def _log() -> SqliteIncidentLog:
    try:
        return SqliteIncidentLog.in_home(paths.home())
    except (IncidentLogError, OSError) as error:
        raise IncidentCliError(tr("incident log: {error}", error=error)) from error


def _ui_language() -> str:
    from bccguard.adapters.settings_file import load_settings  # noqa: PLC0415
    from bccguard.core.settings import SettingsError  # noqa: PLC0415

    try:
        return str(load_settings(paths.config_file(paths.home())).ui.language)
    except (SettingsError, OSError):
        return "auto"


def _incident(log: SqliteIncidentLog, incident_id: str) -> Incident:
    try:
        incident = log.get(incident_id)
    except IncidentLogError as error:
        raise IncidentCliError(str(error)) from error
    if incident is None:
        raise IncidentCliError(tr("no incident {id}", id=incident_id))
    return incident


def cmd_incidents_list(args: argparse.Namespace) -> int:
    """Print every recorded incident, oldest first."""
    try:
        incidents = _log().list()
    except IncidentLogError as error:
        raise IncidentCliError(str(error)) from error
    if args.json:
        print(
            json.dumps([i.to_json() for i in incidents], ensure_ascii=False, indent=2)
        )
        return 0
    if not incidents:
        print(tr("no incidents recorded"))
    now = time.time()
    for incident in incidents:
        exposed = ntr("exposed", "exposed", incident.exposed_count)
        line = (
            f"{incident.id}  {iso_time(incident.created_at)}  "
            f"{incident.kind.value:<16}  {incident.exposed_count:>4} {exposed}  "
            f"{incident.subject or tr('(no subject)')}"
        )
        if incident.possibly_notifiable:
            clock = notification_clock(incident, now)
            remaining = tr_phrase(format_remaining(clock.remaining))
            line += "  " + tr("[notifiable: {remaining}]", remaining=remaining)
        print(line)
    return 0


def cmd_incidents_export(args: argparse.Namespace) -> int:
    """Write the breach record in CSV, JSON or Markdown."""
    try:
        incidents = _log().list()
    except IncidentLogError as error:
        raise IncidentCliError(str(error)) from error
    text = export_incidents(incidents, ExportFormat(args.format), time.time())
    if args.output in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    target = Path(args.output)
    try:
        if target.exists() and not target.is_file():  # e.g. /dev/stdout, a pipe
            target.write_text(text, encoding="utf-8", newline="")
        else:  # a breach record names the people exposed: only the user may read it
            write_private(target, text)
    except OSError as error:
        raise IncidentCliError(
            tr("cannot write {path}: {reason}", path=args.output, reason=error.strerror)
        ) from error
    return 0


def cmd_incidents_mark_notifiable(args: argparse.Namespace) -> int:
    """Flag an incident as possibly notifiable (or clear the flag with --clear)."""
    log = _log()
    try:
        incident = log.mark_notifiable(args.id, time.time(), not args.clear)
    except IncidentLogError as error:
        raise IncidentCliError(str(error)) from error
    if incident.possibly_notifiable:
        clock = notification_clock(incident, time.time())
        print(
            tr(
                "{id}: possibly notifiable; notify by {deadline} ({remaining})",
                id=incident.id,
                deadline=iso_time(clock.deadline),
                remaining=tr_phrase(format_remaining(clock.remaining)),
            )
        )
    else:
        print(tr("{id}: not marked notifiable", id=incident.id))
    return 0


def cmd_apologize(args: argparse.Namespace) -> int:
    """Open the apology wizard for an incident, or print a rendered template."""
    log = _log()
    incident = _incident(log, args.incident)
    if not args.print:
        try:
            from bccguard.ui.apology_wizard import run_wizard  # noqa: PLC0415 (Qt)
        except ModuleNotFoundError as error:
            raise desktop_missing(error) from error

        return run_wizard(
            incident, log, send=_send_through_account(), language=_ui_language()
        )
    sys.stdout.write(_rendered(args, incident))
    sys.stdout.flush()
    return 0


def _send_through_account() -> Callable[[str, list[str], bytes], str]:
    """Sending for the wizard when it runs on its own: the account's upstream relay,
    through the same relays (and outgoing form: never a Bcc field) as the guard."""
    from bccguard.adapters.relay_reply import reply_for  # noqa: PLC0415
    from bccguard.adapters.secrets import open_secret_store  # noqa: PLC0415
    from bccguard.adapters.settings_file import load_settings  # noqa: PLC0415
    from bccguard.service.relays import Relays  # noqa: PLC0415

    home = paths.home()
    settings = load_settings(paths.config_file(home))
    relays = Relays(lambda: settings, open_secret_store(home))

    def send(mail_from: str, recipients: list[str], data: bytes) -> str:
        return reply_for(relays.send(mail_from, recipients, data))

    return send


def _rendered(args: argparse.Namespace, incident: Incident) -> str:
    audience = Audience(args.audience)
    root = default_templates_dir()
    if (args.situation, audience) not in available_templates(root, args.lang):
        raise IncidentCliError(
            f"no {audience.value} template for {args.situation} in {args.lang}"
        )
    recipient = ""
    if audience is Audience.INDIVIDUAL:
        if not args.to:
            raise IncidentCliError("--to ADDRESS is needed for an individual apology")
        recipient = args.recipient_name or guess_name(args.to)
    if not (args.sender_name or incident.sender):
        raise IncidentCliError("--sender-name NAME is needed: the sender is unknown")
    sender_name = args.sender_name or guess_name(incident.sender)
    values = apology_values(
        incident,
        sender_name=sender_name,
        language=args.lang,
        recipient_name=recipient,
    )
    try:
        text = load_template(root, args.lang, args.situation, audience)
        return render(text, values).text
    except ApologyError as error:
        raise IncidentCliError(f"template: {error}") from error


def add_incident_commands(commands: Any) -> None:
    """Register ``incidents`` and ``apologize`` on the main parser's subparsers."""
    parser_class = commands._parser_class  # errors as one line, exit 2
    incidents = commands.add_parser("incidents", help="the local incident record")
    sub = incidents.add_subparsers(
        dest="incidents_command", required=True, parser_class=parser_class
    )
    listing = sub.add_parser("list", help="list recorded incidents")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=cmd_incidents_list)
    export = sub.add_parser("export", help="export the breach record (GDPR Art. 33(5))")
    export.add_argument(
        "--format", required=True, choices=[f.value for f in ExportFormat]
    )
    export.add_argument("-o", "--output", metavar="FILE", help="default: stdout")
    export.set_defaults(run=cmd_incidents_export)
    mark = sub.add_parser(
        "mark-notifiable", help="flag an incident as possibly notifiable (72 h clock)"
    )
    mark.add_argument("id")
    mark.add_argument("--clear", action="store_true", help="remove the flag")
    mark.set_defaults(run=cmd_incidents_mark_notifiable)

    apologize = commands.add_parser("apologize", help="apologise for an incident")
    apologize.add_argument("--incident", required=True, metavar="ID")
    apologize.add_argument(
        "--print",
        action="store_true",
        help="print the rendered template instead of opening the wizard",
    )
    apologize.add_argument("--situation", choices=SITUATIONS, default=SITUATIONS[0])
    apologize.add_argument(
        "--audience", choices=[a.value for a in Audience], default=Audience.GROUP.value
    )
    apologize.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0])
    apologize.add_argument("--to", metavar="ADDRESS", help="for an individual apology")
    apologize.add_argument("--recipient-name", metavar="NAME")
    apologize.add_argument("--sender-name", metavar="NAME")
    apologize.set_defaults(run=cmd_apologize)
