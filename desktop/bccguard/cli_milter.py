"""The ``bccguard milter`` subcommands: run the milter, and decide on held mail.

``bccguard milter --listen inet:PORT@HOST|unix:PATH`` serves Postfix;
``bccguard milter held list|release ID --bcc|--as-is|discard ID`` works on the
messages it put in Postfix's hold queue (same BCCGUARD_HOME). The milter's
modules (and pymilter) are imported only when one of these runs.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from bccguard.adapters import paths
from bccguard.cli_guard import GuardCliError

_RELEASE_WAIT = (
    300.0  # seconds: a re-injection is quick; the queue tools time out first
)


class MilterCliError(GuardCliError):
    """A user error in these commands: one line, exit code 2."""


def add_milter_commands(commands: Any) -> None:
    """Register ``milter`` on the main parser's subparsers."""
    parser_class = commands._parser_class  # errors as one line, exit 2
    milter = commands.add_parser(
        "milter", help="the Postfix milter (an organisation's mail server)"
    )
    milter.add_argument(
        "--listen",
        metavar="SOCKET",
        help="inet:PORT@HOST (e.g. inet:8899@127.0.0.1) or unix:PATH",
    )
    milter.set_defaults(run=cmd_milter)
    sub = milter.add_subparsers(dest="milter_command", parser_class=parser_class)
    held = sub.add_parser("held", help="messages the milter put in the hold queue")
    actions = held.add_subparsers(
        dest="held_command", required=True, parser_class=parser_class
    )
    listing = actions.add_parser("list", help="list held messages")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=cmd_held_list)
    release = actions.add_parser("release", help="send a held message")
    release.add_argument("id")
    how = release.add_mutually_exclusive_group(required=True)
    how.add_argument("--bcc", action="store_true", help="converted to Bcc")
    how.add_argument("--as-is", action="store_true", help="unchanged")
    release.set_defaults(run=cmd_held_release)
    discard = actions.add_parser("discard", help="delete a held message unsent")
    discard.add_argument("id")
    discard.set_defaults(run=cmd_held_discard)


def cmd_milter(args: argparse.Namespace) -> int:
    """Serve Postfix until SIGTERM."""
    if not args.listen:
        raise MilterCliError(
            "bccguard milter: give --listen inet:PORT@HOST or unix:PATH, "
            "or a subcommand (held list|release|discard)"
        )
    server = _server()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        server.run(args.listen, paths.home())
    except (server.ListenError, ValueError) as error:
        raise MilterCliError(str(error)) from error
    return 0


def _server() -> Any:
    try:
        from bccguard.milter import server  # noqa: PLC0415 (pymilter on demand)
    except ModuleNotFoundError as error:
        raise MilterCliError(
            f"the milter needs pymilter ({error}): pip install 'bccguard[milter]'"
        ) from error
    return server


def _desk() -> Any:
    try:
        from bccguard.milter.held_admin import HeldAdmin  # noqa: PLC0415
    except ModuleNotFoundError as error:
        raise MilterCliError(f"the milter is not installed: {error}") from error
    return HeldAdmin


def cmd_held_list(args: argparse.Namespace) -> int:
    """Print the held messages (and whether Postfix still holds each)."""
    rows = _admin_call("listing")
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    if not rows:
        print("No held messages.")
        return 0
    for row in rows:
        where = "in the hold queue" if row["in_hold_queue"] else "not in the hold queue"
        print(
            f"{row['id']}  {row['queue_id']}  {row['state']:<10} "
            f"{row['exposed_count']:>4} exposed  {row['mail_from']}  "
            f"{row['subject']!r}  ({where})"
        )
        why = row["outcome"] or (row["reasons"][0] if row["reasons"] else "")
        if why:
            print(f"    {why}")
    return 0


def cmd_held_release(args: argparse.Namespace) -> int:
    """Release one held message, converted or as it is."""
    outcome = _admin_call("release", args.id, bcc=bool(args.bcc))
    print(outcome)
    return 0


def cmd_held_discard(args: argparse.Namespace) -> int:
    """Delete one held message unsent."""
    print(_admin_call("discard", args.id))
    return 0


def _admin_call(name: str, *args: Any, **kwargs: Any) -> Any:
    admin_class = _desk()
    from bccguard.milter.held_admin import HeldAdminError  # noqa: PLC0415

    try:
        with admin_class(paths.home()) as admin:
            return getattr(admin, name)(*args, **kwargs)
    except HeldAdminError as error:
        raise MilterCliError(str(error)) from error
    except OSError as error:
        raise MilterCliError(f"bccguard milter: {error}") from error
