"""The ``bccguard`` command: the tray app by default, and subcommands for scripts.

Exit codes: 0 pass / success, 1 hold, 2 error (one line on stderr, no traceback).
Output to a pipe whose reader has gone (``bccguard check --json FILE | head -1``)
ends quietly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from bccguard import __version__
from bccguard.cli_desktop import DesktopMissingError, desktop_missing
from bccguard.cli_guard import GuardCliError, add_guard_commands
from bccguard.cli_incidents import add_incident_commands
from bccguard.cli_milter import add_milter_commands
from bccguard.core.bcc_conversion import ConversionError, ToStyle, to_draft_bcc
from bccguard.core.header_block import read_header_part
from bccguard.core.message import read_message
from bccguard.core.policy import DEFAULT_THRESHOLD, Policy, PolicyError
from bccguard.core.recipient_rules import RecipientRule
from bccguard.core.settings import SettingsError
from bccguard.core.verdict import check
from bccguard.i18n import set_language, tr, tr_error, tr_phrase, tr_settings_error
from bccguard.native_host.cli import add_native_commands

EXIT_PASS = 0
EXIT_HOLD = 1
EXIT_ERROR = 2


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{self.prog}: {message}")


def _open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except OSError as error:
        raise CliError(
            tr("cannot read {path}: {reason}", path=path, reason=error.strerror)
        ) from error


def _write_out(data: str | bytes) -> bool:
    """Write ``data`` to stdout; False when the reader has gone (a closed pipe)."""
    try:
        if isinstance(data, str):
            sys.stdout.write(data)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return False
    return True


def _silence_stdout() -> None:
    """Point stdout at the null device, so that nothing fails again at exit.

    https://docs.python.org/3/library/signal.html#note-on-sigpipe
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        policy = Policy.build(
            threshold=args.threshold, trusted_domains=args.trusted_domain
        )
    except PolicyError as error:
        raise CliError(tr(error.problem, **error.values)) from error
    if args.rules:
        policy = replace(policy, rules=_configured_rules())
    stream = _open(args.file)
    try:
        raw = read_header_part(stream)
    except OSError as error:
        raise CliError(
            tr("cannot read {path}: {reason}", path=args.file, reason=error.strerror)
        ) from error
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    message = read_message(raw)
    why = message.not_a_message
    if why is not None:
        raise CliError(
            tr("{path} is not a message: {why}", path=args.file, why=tr_phrase(why))
        )
    verdict = check(message, policy)
    if args.json:
        text = json.dumps(verdict.to_json(), ensure_ascii=False, indent=2)
    else:
        reasons = [tr_phrase(reason) for reason in verdict.reasons]
        headline = tr("HOLD: {reason}") if verdict.held else tr("PASS: {reason}")
        lines = [headline.format(reason=reasons[0])]
        lines.extend(f"  - {reason}" for reason in reasons[1:])
        text = "\n".join(lines)
    _write_out(text + "\n")  # a reader gone early changes no verdict
    return EXIT_HOLD if verdict.held else EXIT_PASS


def _cmd_convert(args: argparse.Namespace) -> int:
    try:
        raw = (
            Path(args.file).read_bytes()
            if args.file != "-"
            else sys.stdin.buffer.read()
        )
    except OSError as error:
        raise CliError(
            tr("cannot read {path}: {reason}", path=args.file, reason=error.strerror)
        ) from error
    try:
        converted = to_draft_bcc(raw, ToStyle(args.to))
    except ConversionError as error:
        raise CliError(tr("not converted: {error}", error=tr_error(error))) from error
    if args.output in (None, "-"):
        if not _write_out(converted):
            return EXIT_ERROR  # the message did not get out whole
    else:
        try:
            Path(args.output).write_bytes(converted)
        except OSError as error:
            raise CliError(
                tr(
                    "cannot write {path}: {reason}",
                    path=args.output,
                    reason=error.strerror,
                )
            ) from error
    return EXIT_PASS


def _threshold(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr("not a whole number: {text}", text=repr(text))
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(tr("must be 0 or more"))
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(
        prog="bccguard",
        description="Stops e-mail that shows its recipients to each other.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the tray app with a built-in local mail sink (no account needed)",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    check_cmd = commands.add_parser("check", help="check one message (.eml or -)")
    check_cmd.add_argument("file", metavar="FILE|-")
    check_cmd.add_argument("--json", action="store_true", help="print a JSON object")
    check_cmd.add_argument(
        "--threshold",
        type=_threshold,
        default=DEFAULT_THRESHOLD,
        help=f"hold above this many exposed recipients (default {DEFAULT_THRESHOLD})",
    )
    check_cmd.add_argument(
        "--trusted-domain",
        action="append",
        default=[],
        metavar="D",
        help="a domain whose people may see each other (repeatable)",
    )
    check_cmd.add_argument(
        "--rules",
        action="store_true",
        help="also apply the recipient rules of BccGuard's settings file",
    )
    check_cmd.set_defaults(run=_cmd_check)

    convert_cmd = commands.add_parser("convert", help="move To/Cc recipients to Bcc")
    convert_cmd.add_argument("file", metavar="FILE|-")
    convert_cmd.add_argument("-o", "--output", metavar="OUT", help="default: stdout")
    convert_cmd.add_argument(
        "--to",
        choices=[s.value for s in ToStyle],
        default=ToStyle.SENDER.value,
        help="what To becomes: the sender (default) or undisclosed-recipients:;",
    )
    convert_cmd.set_defaults(run=_cmd_convert)
    add_guard_commands(commands)
    add_incident_commands(commands)
    add_milter_commands(commands)
    add_native_commands(commands)
    return parser


def _settings_file() -> Path:
    """The settings file's path; finding it creates no folder (``check`` and
    ``convert`` leave no trace)."""
    import platformdirs  # noqa: PLC0415

    from bccguard.adapters import paths  # noqa: PLC0415

    override = os.environ.get(paths.HOME_VARIABLE)
    return paths.config_file(Path(override or platformdirs.user_data_dir("bccguard")))


def _configured_language() -> str:
    """``[ui] language`` of the settings file; "auto" (the environment's) without
    one, or when it cannot be read (that command then says why)."""
    from bccguard.adapters.settings_file import load_settings  # noqa: PLC0415

    try:
        return str(load_settings(_settings_file()).ui.language)
    except (SettingsError, OSError):
        return "auto"


def _configured_rules() -> tuple[RecipientRule, ...]:
    """The recipient rules of the settings file, their lists resolved."""
    from bccguard.adapters.settings_file import load_settings  # noqa: PLC0415

    try:
        return load_settings(_settings_file()).base_policy().rules
    except SettingsError as error:
        raise CliError(tr_settings_error(error)) from error


def _run_tray(*, demo: bool) -> int:
    """The tray app; Qt is imported here only, so every other command runs without."""
    try:
        from bccguard.ui.application import run_app  # noqa: PLC0415 (Qt on demand)
    except ModuleNotFoundError as error:
        raise desktop_missing(error) from error
    return run_app(demo=demo)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    set_language(_configured_language())
    try:
        args = build_parser().parse_args(argv)
        run: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
        if run is None:
            return _run_tray(demo=args.demo)
        return run(args)
    except (CliError, GuardCliError, DesktopMissingError) as error:
        print(error, file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # any other command's output, cut short by its reader
        _silence_stdout()
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
