"""The subcommands that run or talk to the guard: serve, held, account, secret."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bccguard.adapters import paths
from bccguard.adapters.control_channel import ControlError, request
from bccguard.adapters.held_store import HeldStore
from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.countdown import counting_down
from bccguard.core.held import HeldMessage
from bccguard.core.settings import (
    IMAP_TLS_MODES,
    PROVIDER_RECIPIENT_LIMITS,
    TLS_MODES,
    SettingsError,
    account_from_mapping,
    settings_from_mapping,
    settings_to_mapping,
)
from bccguard.i18n import N_, ntr, tr, tr_phrase, tr_settings_error


class GuardCliError(Exception):
    """A user error in these commands: one line, exit code 2."""


def _settings(home: Path) -> Any:
    try:
        return load_settings(paths.config_file(home))
    except SettingsError as error:
        raise GuardCliError(
            tr("config: {error}", error=tr_settings_error(error))
        ) from error


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the guard without a GUI until SIGINT/SIGTERM."""
    from bccguard.adapters.demo_sink import DemoSink  # noqa: PLC0415
    from bccguard.adapters.incident_store import SqliteIncidentLog  # noqa: PLC0415
    from bccguard.adapters.secrets import open_secret_store  # noqa: PLC0415
    from bccguard.adapters.smtp_relay import TlsMode, UpstreamConfig  # noqa: PLC0415
    from bccguard.events import LoggingSink  # noqa: PLC0415
    from bccguard.mailbox_guard import MailboxGuard, SentFolderLookup  # noqa: PLC0415
    from bccguard.service import Guard  # noqa: PLC0415
    from bccguard.service.errors import GuardStartError  # noqa: PLC0415

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    home = paths.home()
    settings = _settings(home)
    if args.port is not None:
        settings = replace(settings, proxy=replace(settings.proxy, port=args.port))
    store = open_secret_store(home)
    if not store.secure:
        print(
            tr(
                "warning: no secure keyring; secrets are kept in {where}",
                where=tr_phrase(store.description),
            ),
            file=sys.stderr,
        )
    sink = None
    upstream = None
    if args.demo:
        sink = DemoSink(home / "demo-outbox")
        sink.start()
        upstream = UpstreamConfig(host="127.0.0.1", port=sink.port, tls=TlsMode.NONE)
    guard = Guard(
        home,
        settings,
        store,
        LoggingSink(),
        upstream=upstream,
        incidents=SqliteIncidentLog.in_home(home),
        sent_lookup=SentFolderLookup(lambda: settings, store),
    )
    try:
        guard.start()
    except GuardStartError as error:
        guard.stop()
        if sink:
            sink.stop()
        raise GuardCliError(
            tr(
                "{problem} Choose another port with --port, or with port in the "
                "[proxy] section of {file}.",
                problem=tr_phrase(error.failure.sentence),
                file=paths.config_file(home),
            )
        ) from error
    guarding = tr(
        "BccGuard is guarding on 127.0.0.1:{port} (user any, password: "
        "'bccguard secret')",
        port=guard.proxy.port,
    )
    if sink:
        guarding += tr("; demo outbox: {folder}", folder=sink.folder)
    print(guarding, flush=True)
    mailboxes = MailboxGuard(
        home, settings, store, guard.events, guard.incidents, relays=guard.relays
    )
    guard.on_signed_in(mailboxes.signed_in)
    mailboxes.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    mailboxes.stop()
    guard.stop()
    if sink:
        sink.stop()
    return 0


# What each answer is called on the command line.
_COMMANDS = {
    "bcc": "release --bcc",
    "as-is": "release --as-is",
    "discard": "discard",
    "went-out": "went-out",
    "individually": "release --individually",
}


def _held_line(held: HeldMessage) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(held.received_at))
    subject = held.subject or tr("(no subject)")
    exposed = ntr("exposed", "exposed", held.exposed_count)
    line = (
        f"{held.id}  {when}  {held.state.value:<13} "
        f"{held.exposed_count:>5} {exposed}  {subject[:50]}"
    )
    if held.state.value not in ("waiting", "sent", "discarded") and held.outcome:
        line += f"\n    {held.outcome}"
    tried = held.attempts > 0 or held.delivered or held.uncertain
    if held.undelivered and tried and held.state.value != "discarded":
        names = ", ".join(held.undelivered[:5])
        more = len(held.undelivered) - 5
        if more > 0:
            names = tr("{names} and {n} more", names=names, n=more)
        line += "\n    " + tr("not delivered: {names}", names=names)
    if counting_down(held):
        at = time.strftime("%H:%M:%S", time.localtime(held.countdown_until))
        line += (
            f"\n    Undo send: goes at {at} unless undone"
            "\n    you can: undo | release --as-is (send now) | discard"
        )
    elif held.answers and held.state.value != "waiting":
        choices = " | ".join(_COMMANDS[a.value] for a in held.answers)
        line += "\n    " + tr("you can: {choices}", choices=choices)
    return line


def cmd_held_list(args: argparse.Namespace) -> int:
    """List held messages straight from the store (no running guard needed)."""
    held = HeldStore(paths.held_dir(paths.home())).all()
    if args.json:
        print(json.dumps([h.to_json() for h in held], ensure_ascii=False, indent=2))
    elif not held:
        print(tr("No held messages."))
    else:
        for entry in held:
            print(_held_line(entry))
    return 0


def _decide(held_id: str, resolution: str, **options: Any) -> int:
    try:
        reply = request(
            paths.control_file(paths.home()),
            "decide",
            id=held_id,
            resolution=resolution,
            **options,
        )
    except ControlError as error:
        raise GuardCliError(str(error)) from error
    held = HeldMessage.from_json(reply["held"])
    print(_held_line(held))
    if resolution == "individually":  # on its way, copy by copy
        return 0 if held.state.value in ("queued", "sending", "sent") else 1
    return 0 if held.state.value in ("sent", "discarded") else 1


def _one_by_one(args: argparse.Namespace) -> int:
    """Send one copy per recipient (or resume a paused run)."""
    options: dict[str, Any] = {}
    if args.greeting_fallback is not None:
        options = {"greeting": True, "greeting_fallback": args.greeting_fallback}
    elif args.greeting:
        options = {"greeting": True, "greeting_fallback": ""}
    elif args.no_greeting:
        options = {"greeting": False}
    return _decide(args.id, "individually", **options)


def cmd_held_release(args: argparse.Namespace) -> int:
    """Send a held message, converted to Bcc (default) or as it is; a message in
    its Undo send countdown goes now, as it is unless --bcc says otherwise."""
    if args.individually:
        return _one_by_one(args)
    if not args.as_is and not args.bcc:
        known = HeldStore(paths.held_dir(paths.home())).get(args.id)
        if known is not None and counting_down(known):
            return _decide(args.id, "as-is")
    return _decide(args.id, "as-is" if args.as_is else "bcc")


def cmd_held_undo(args: argparse.Namespace) -> int:
    """Stop a message in its Undo send countdown: it waits as a held message."""
    try:
        reply = request(paths.control_file(paths.home()), "undo", id=args.id)
    except ControlError as error:
        raise GuardCliError(str(error)) from error
    print(_held_line(HeldMessage.from_json(reply["held"])))
    return 0


def cmd_held_went_out(args: argparse.Namespace) -> int:
    """Say that a message that may have been sent did go out: nothing more is sent."""
    return _decide(args.id, "went-out")


def cmd_held_discard(args: argparse.Namespace) -> int:
    """Do not send a held message."""
    return _decide(args.id, "discard")


def cmd_secret(args: argparse.Namespace) -> int:
    """Print the local secret mail clients use as the proxy password."""
    from bccguard.adapters.secrets import (  # noqa: PLC0415
        ensure_local_secret,
        open_secret_store,
    )

    store = open_secret_store(paths.home())
    print(ensure_local_secret(store))
    return 0


def cmd_account_add(args: argparse.Namespace) -> int:
    """Add or replace an upstream account; the password goes to the secret store.

    Two forms: ``account add NAME --email ADDRESS --smtp-host HOST ...`` saves the
    servers given (scripts rely on it), and ``account add ADDRESS`` (or ``NAME
    --email ADDRESS`` without ``--smtp-host``) finds them first.
    """
    if args.smtp_host is None:
        return _add_discovered(args)
    if not args.email:
        raise GuardCliError(tr("--email is required with --smtp-host"))
    values = {
        "name": args.name,
        "email": args.email,
        "smtp_host": args.smtp_host,
        "smtp_port": args.smtp_port,
        "smtp_tls": args.tls,
        "smtp_username": args.username or "",
        "provider": args.provider,
        "max_recipients": args.max_recipients,
        "imap_host": args.imap_host or "",
        "imap_port": args.imap_port,
        "imap_tls": args.imap_tls,
        "imap_username": args.imap_username or "",
    }
    return _save_account(values, _read_password(args, values))


def _read_password(args: argparse.Namespace, values: dict[str, Any]) -> str:
    if args.password_stdin:
        return str(sys.stdin.readline().rstrip("\r\n"))
    if sys.stdin.isatty():
        return getpass.getpass(
            f"Password for {values['email']} at {values['smtp_host']}: "
        )
    return ""


def _save_account(values: dict[str, Any], password: str) -> int:
    from bccguard.adapters.secrets import open_secret_store  # noqa: PLC0415
    from bccguard.service import account_password_key  # noqa: PLC0415

    home = paths.home()
    settings = _settings(home)
    try:
        # Judged as entered, so the error names the setting: "smtp_tls: ...".
        account = account_from_mapping(values)
        updated = settings_from_mapping(
            settings_to_mapping(settings.with_account(account))
        )
    except SettingsError as error:
        raise GuardCliError(str(error)) from error
    if password and not account.smtp_username:
        account = replace(account, smtp_username=account.email)
        updated = updated.with_account(account)
    store = open_secret_store(home)
    if password:
        store.set(account_password_key(account.name), password)
    save_settings(paths.config_file(home), updated)
    print(
        tr(
            "Account {name} saved; password in {where}",
            name=account.name,
            where=tr_phrase(store.description),
        )
        if password
        else tr("Account {name} saved (no password stored)", name=account.name)
    )
    return 0


def _add_discovered(args: argparse.Namespace) -> int:
    """``account add ADDRESS``: find the servers, confirm, sign in, test, save."""
    from bccguard.adapters.connection_test import try_account  # noqa: PLC0415

    email = args.email or args.name
    if "@" not in email:
        raise GuardCliError(
            "give an e-mail address to find its servers, or --email and --smtp-host"
        )
    servers = _thunderbird_servers(args, email) if args.thunderbird else None
    if servers is None:
        found = _discover(email)
        if found.servers is None:
            tried = "; ".join(f"{a.source}: {a.outcome}" for a in found.attempts)
            raise GuardCliError(
                f"no servers found for {email} ({tried or 'nothing to ask'}); "
                "give them with --smtp-host (and --imap-host)"
            )
        servers = found.servers
    print("\n".join(_servers_lines(servers)))
    if servers.needs_confirmation and not args.yes and not _confirm(servers):
        raise GuardCliError(
            f"not saved: {', '.join(servers.outside_domain())} is outside "
            f"{servers.domain}; check it is your provider, then add --yes"
        )
    values = servers.account_values(args.name if args.email else email)
    provider = _OAUTH_PROVIDERS.get(servers.auth.value, "")
    if provider and not args.password_stdin:
        if _settings(paths.home()).oauth.client(provider).client_id:
            return _add_oauth(values, provider)
        print(
            f"note: {servers.display_name or servers.smtp.host} signs in with "
            f"OAuth2 in the browser; set BccGuard's client id in [oauth.{provider}] "
            "(README: Signing in with Google or Microsoft) to use it; a password "
            "will probably be refused",
            file=sys.stderr,
        )
    if args.max_recipients:
        values["max_recipients"] = args.max_recipients
    password = _read_password(args, values)
    if password and not args.no_test:
        report = try_account(servers, servers.username(), password)
        for result in report.results:
            print(tr_phrase(result.describe()))
        if not report.ok:
            print(tr("Not saved: fix the above and try again."), file=sys.stderr)
            return 1
    return _save_account(values, password)


_OAUTH_PROVIDERS = {"oauth2-google": "google", "oauth2-microsoft": "microsoft"}


def _add_oauth(values: dict[str, Any], provider: str) -> int:
    """Sign in in the browser (the URL printed), store the tokens, save."""
    home = paths.home()
    values = {**values, "oauth": provider, "smtp_username": values["email"]}
    if values.get("imap_host"):
        values["imap_oauth2"] = True
    try:
        account = account_from_mapping(values)
        updated = settings_from_mapping(
            settings_to_mapping(_settings(home).with_account(account))
        )
    except SettingsError as error:
        raise GuardCliError(str(error)) from error
    store = _oauth_sign_in(updated, account, home)
    save_settings(paths.config_file(home), updated)
    print(
        tr(
            "Account {name} saved; signed in, tokens in {where}",
            name=account.name,
            where=store,
        )
    )
    return 0


def _oauth_sign_in(settings: Any, account: Any, home: Path) -> str:
    """The browser step, headless: print the URL, wait on the loopback redirect."""
    from bccguard.adapters.oauth2_client import OAuthError  # noqa: PLC0415
    from bccguard.adapters.oauth2_sign_in import sign_in  # noqa: PLC0415
    from bccguard.adapters.oauth2_tokens import account_tokens  # noqa: PLC0415
    from bccguard.adapters.secrets import open_secret_store  # noqa: PLC0415

    def show(url: str) -> None:
        print(
            tr(
                "Open this address in your browser to sign in to {email}:",
                email=account.email,
            )
        )
        print(url, flush=True)

    store = open_secret_store(home)
    try:
        tokens = account_tokens(settings, account, store, home)
        tokens.store(sign_in(tokens.client, show, login_hint=account.email))
    except OAuthError as error:
        raise GuardCliError(tr("not signed in: {error}", error=error)) from error
    return tr_phrase(store.description)


def cmd_account_sign_in(args: argparse.Namespace) -> int:
    """Sign in again to an OAuth2 account (its grant expired or was revoked)."""
    home = paths.home()
    settings = _settings(home)
    account = next((a for a in settings.accounts if a.name == args.name), None)
    if account is None:
        raise GuardCliError(tr("no account named {name}", name=args.name))
    if not account.oauth:
        raise GuardCliError(
            tr("{name} signs in with a password, not OAuth2", name=args.name)
        )
    where = _oauth_sign_in(settings, account, home)
    print(tr("Signed in to {name}; tokens in {where}", name=account.name, where=where))
    # A running guard sends what waited for this sign-in; none running reads the
    # new tokens when it starts.
    with contextlib.suppress(ControlError):
        request(paths.control_file(home), "signed-in", account=account.name)
    return 0


def _confirm(servers: Any) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(tr("Use these servers for {email}? [y/N] ", email=servers.email))
    return answer.strip().lower() in ("y", "yes", "s", "si", "sì")


def _thunderbird_servers(args: argparse.Namespace, email: str) -> Any:
    for imported in _import_thunderbird(args.profile):
        if imported.email.lower() == email.lower():
            return imported.servers
    raise GuardCliError(f"{email} is not an identity of that Thunderbird profile")


def _import_thunderbird(profile: str | None) -> Any:
    from bccguard.adapters.thunderbird_profile import (  # noqa: PLC0415
        ThunderbirdProfileError,
        import_profile,
    )

    try:
        return import_profile(Path(profile) if profile else None)
    except ThunderbirdProfileError as error:
        raise GuardCliError(str(error)) from error


def cmd_account_import_thunderbird(args: argparse.Namespace) -> int:
    """List the accounts of a Thunderbird profile (never its passwords)."""
    imported = _import_thunderbird(args.profile)
    if args.json:
        print(json.dumps([a.to_json() for a in imported], indent=2))
        return 0
    if not imported:
        print(tr("No accounts with an outgoing server in that profile."))
        return 1
    for account in imported:
        print(
            f"{account.email}"
            + (f" ({account.full_name})" if account.full_name else "")
        )
        print("\n".join(_servers_lines(account.servers)[1:]))
    print(
        "Add one with: bccguard account add ADDRESS --thunderbird "
        "(you sign in again; Thunderbird's passwords are not read)"
    )
    return 0


def _discovery() -> Any:
    """How the account commands look for servers (tests replace it)."""
    from bccguard.adapters.server_discovery import online  # noqa: PLC0415

    return online()


def _discover(email: str) -> Any:
    from bccguard.core.discovery import DiscoveryError  # noqa: PLC0415

    try:
        return _discovery().discover(email)
    except DiscoveryError as error:
        raise GuardCliError(str(error)) from error


_SOURCE_TEXT = {
    "autoconfig": N_("the domain's autoconfig"),
    "bundled": N_("BccGuard's table of providers"),
    "srv": N_("DNS SRV records (not authenticated)"),
    "mx": N_("the provider behind the domain's MX (not authenticated)"),
    "thunderbird": N_("your Thunderbird profile"),
}


def _servers_lines(servers: Any) -> list[str]:
    rows = [(tr("outgoing (SMTP)"), servers.smtp.describe())]
    if servers.imap is not None:
        rows.append((tr("incoming (IMAP)"), servers.imap.describe()))
    rows.append((tr("user name"), servers.username()))
    sign_in = servers.auth.value
    if servers.app_password_required:
        sign_in = tr("an app password")
    elif servers.app_password_url:
        sign_in = tr("{way}, or an app password", way=sign_in)
    rows.append((tr("sign-in"), sign_in))
    if servers.app_password_url:
        rows.append((tr("app password at"), servers.app_password_url))
    if servers.help_url:
        rows.append((tr("provider's page"), servers.help_url))
    width = max(len(label) for label, _ in rows)
    found = tr(
        "Found by {source}: {origin}",
        source=tr(_SOURCE_TEXT[servers.source.value]),
        origin=servers.origin,
    )
    lines = [found, *(f"  {label:<{width}}  {value}" for label, value in rows)]
    lines.extend("  " + tr("note: {note}", note=tr(note)) for note in servers.notes)
    outside = servers.outside_domain()
    if servers.needs_confirmation:
        lines.append(
            "  "
            + tr(
                "check: {names} is outside {domain}; make sure this is your provider",
                names=", ".join(outside),
                domain=servers.domain,
            )
        )
    return lines


def cmd_account_discover(args: argparse.Namespace) -> int:
    """Print the servers found for an address and where from; save nothing."""
    found = _discover(args.email)
    if args.json:
        print(json.dumps(found.servers.to_json() if found.servers else None, indent=2))
    elif found.servers is not None:
        print("\n".join(_servers_lines(found.servers)))
    if found.servers is None:
        tried = "; ".join(f"{a.source}: {a.outcome}" for a in found.attempts)
        print(
            tr("No servers found for {email}", email=args.email)
            + (f" ({tried})" if tried else "")
            + ". "
            + tr(
                "Give them with: bccguard account add NAME --email ... --smtp-host ..."
            ),
            file=sys.stderr,
        )
    return 0 if found.servers is not None else 1


def cmd_account_list(args: argparse.Namespace) -> int:
    """Show the configured accounts (never their passwords)."""
    for account in _settings(paths.home()).accounts:
        print(
            f"{account.name}: {account.email} via "
            f"{account.smtp_host}:{account.smtp_port} "
            f"({account.smtp_tls}, {account.recipient_limit()} recipients/message)"
        )
    return 0


def add_guard_commands(commands: Any) -> None:
    """Register serve, held, secret and account on the main parser's subparsers."""
    serve = commands.add_parser("serve", help="run the guard without a GUI")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="relay to a built-in local sink instead of a real account",
    )
    serve.add_argument("--port", type=int, help="proxy port (default from config)")
    serve.set_defaults(run=cmd_serve)

    held = commands.add_parser("held", help="held messages of the running guard")
    held_cmds = held.add_subparsers(
        dest="held_command", required=True, parser_class=_parser_class(commands)
    )
    held_list = held_cmds.add_parser("list", help="list held messages")
    held_list.add_argument("--json", action="store_true")
    held_list.set_defaults(run=cmd_held_list)
    release = held_cmds.add_parser(
        "release",
        help="send a held message (again, to whoever has not got it)",
    )
    release.add_argument("id")
    how = release.add_mutually_exclusive_group()
    how.add_argument(
        "--bcc", action="store_true", help="convert to Bcc first (default)"
    )
    how.add_argument("--as-is", action="store_true", help="send it unchanged")
    how.add_argument(
        "--individually",
        action="store_true",
        help="one copy per recipient, each addressed only to them, within the "
        "account's daily limit (again: resume a paused run)",
    )
    greet = release.add_mutually_exclusive_group()
    greet.add_argument(
        "--greeting",
        action="store_true",
        help="with --individually: put each recipient's first name in place of "
        "{first_name}",
    )
    greet.add_argument(
        "--greeting-fallback",
        metavar="WORD",
        help="like --greeting; WORD where no first name is known",
    )
    greet.add_argument(
        "--no-greeting", action="store_true", help="leave {first_name} as it is"
    )
    release.set_defaults(run=cmd_held_release)
    undo = held_cmds.add_parser(
        "undo",
        help="stop a message in its Undo send countdown (it waits as held)",
    )
    undo.add_argument("id")
    undo.set_defaults(run=cmd_held_undo)
    discard = held_cmds.add_parser("discard", help="do not send a held message")
    discard.add_argument("id")
    discard.set_defaults(run=cmd_held_discard)
    went_out = held_cmds.add_parser(
        "went-out",
        help="a message that may have been sent did go out: do not send it again",
    )
    went_out.add_argument("id")
    went_out.set_defaults(run=cmd_held_went_out)

    secret = commands.add_parser(
        "secret", help="print the proxy password for mail clients"
    )
    secret.set_defaults(run=cmd_secret)

    _add_account_commands(commands)


def _add_account_commands(commands: Any) -> None:
    account = commands.add_parser("account", help="upstream accounts")
    account_cmds = account.add_subparsers(
        dest="account_command", required=True, parser_class=_parser_class(commands)
    )
    add = account_cmds.add_parser(
        "add",
        help="add or replace an account: by its address (servers found), or with "
        "--email and --smtp-host",
    )
    add.add_argument("name", help="the account's name, or its e-mail address")
    add.add_argument("--email", help="the address (default: NAME, if it is one)")
    add.add_argument("--smtp-host", help="the outgoing server (else it is found)")
    add.add_argument("--smtp-port", type=int, default=587)
    add.add_argument("--tls", choices=TLS_MODES, default="starttls")
    add.add_argument("--username")
    add.add_argument(
        "--provider", choices=tuple(PROVIDER_RECIPIENT_LIMITS), default="other"
    )
    add.add_argument("--max-recipients", type=int, default=0)
    add.add_argument("--imap-host", help="watch this account's mailbox over IMAP")
    add.add_argument("--imap-port", type=int, default=993)
    add.add_argument("--imap-tls", choices=IMAP_TLS_MODES, default="implicit")
    add.add_argument("--imap-username", help="default: the SMTP user name")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    add.add_argument(
        "--yes",
        action="store_true",
        help="accept found servers outside the address's domain without asking",
    )
    add.add_argument(
        "--no-test", action="store_true", help="save without trying the password"
    )
    add.add_argument(
        "--thunderbird",
        action="store_true",
        help="take the servers from a Thunderbird profile instead of looking",
    )
    add.add_argument("--profile", help="the Thunderbird profile folder")
    add.set_defaults(run=cmd_account_add)
    discover = account_cmds.add_parser(
        "discover", help="find an address's servers (saves nothing)"
    )
    discover.add_argument("email")
    discover.add_argument("--json", action="store_true")
    discover.set_defaults(run=cmd_account_discover)
    thunderbird = account_cmds.add_parser(
        "import-thunderbird",
        help="list the accounts of a Thunderbird profile (not its passwords)",
    )
    thunderbird.add_argument("--profile", help="default: Thunderbird's default")
    thunderbird.add_argument("--json", action="store_true")
    thunderbird.set_defaults(run=cmd_account_import_thunderbird)
    sign_in = account_cmds.add_parser(
        "sign-in", help="sign in again to an OAuth2 account (prints the URL to open)"
    )
    sign_in.add_argument("name", help="the account's name")
    sign_in.set_defaults(run=cmd_account_sign_in)
    account_list = account_cmds.add_parser("list", help="list accounts")
    account_list.set_defaults(run=cmd_account_list)


def _parser_class(commands: Any) -> Any:
    """The parser class the main parser uses (errors as one line, exit 2)."""
    return commands._parser_class
