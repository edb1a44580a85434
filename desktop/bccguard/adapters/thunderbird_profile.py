"""Accounts from an existing Thunderbird profile: profiles.ini, then prefs.js.

Only server settings and identities are read. Thunderbird's saved passwords
(logins.json, key4.db) are never opened: the user signs in again in BccGuard.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from bccguard.core.discovery import Auth, MailServers, Server, Source

# prefs.js is written by Thunderbird: one user_pref("name", value); per line,
# values being JSON strings, numbers or booleans.
_PREF = re.compile(r'^\s*user_pref\(\s*("(?:[^"\\]|\\.)*")\s*,\s*(.+?)\s*\)\s*;\s*$')
# mail.server.*.socketType and mail.smtpserver.*.try_ssl: 0 plain, 1 STARTTLS if
# offered (old, never safe), 2 STARTTLS, 3 TLS from the start.
_TLS = {0: "none", 1: "none", 2: "starttls", 3: "implicit"}
_OAUTH2 = 10  # nsMsgAuthMethod.OAuth2


class ThunderbirdProfileError(Exception):
    """No readable profile was found where we looked."""


@dataclass(frozen=True, slots=True)
class ImportedAccount:
    """One identity of the profile and the servers it uses."""

    email: str
    full_name: str
    servers: MailServers

    def to_json(self) -> dict[str, object]:
        """The ``--json`` entry of ``account import-thunderbird``."""
        return {**self.servers.to_json(), "full_name": self.full_name}


def profile_roots() -> list[Path]:
    """Where Thunderbird keeps profiles.ini on this system (snap and Flatpak too)."""
    home = Path.home()
    if sys.platform == "darwin":
        return [home / "Library" / "Thunderbird"]
    if sys.platform == "win32":
        return [Path(os.environ.get("APPDATA", home)) / "Thunderbird"]
    return [
        home / ".thunderbird",
        home / "snap" / "thunderbird" / "common" / ".thunderbird",
        home / ".var" / "app" / "org.mozilla.Thunderbird" / ".thunderbird",
    ]


def default_profile(roots: list[Path] | None = None) -> Path:
    """The profile Thunderbird starts with, from the first profiles.ini found.

    Raises:
        ThunderbirdProfileError: when there is none.
    """
    for root in roots if roots is not None else profile_roots():
        ini = root / "profiles.ini"
        if ini.is_file():
            return _default_in(ini)
    raise ThunderbirdProfileError("no Thunderbird profiles.ini found")


def _default_in(ini: Path) -> Path:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(ini, encoding="utf-8")
    except configparser.Error as error:
        raise ThunderbirdProfileError(f"{ini}: {error}") from error

    def folder(section: configparser.SectionProxy) -> Path:
        path = Path(section.get("Path", section.get("Default", "")))
        relative = section.get("IsRelative", "1") == "1"
        return ini.parent / path if relative and not path.is_absolute() else path

    # Thunderbird 68+: each installation names its default in [Install...].
    for name in parser.sections():
        if name.startswith("Install") and parser[name].get("Default"):
            return ini.parent / parser[name]["Default"]
    profiles = [parser[n] for n in parser.sections() if n.startswith("Profile")]
    chosen = next((p for p in profiles if p.get("Default") == "1"), None)
    if chosen is None and profiles:
        chosen = profiles[0]
    if chosen is None:
        raise ThunderbirdProfileError(f"{ini}: no profile listed")
    return folder(chosen)


def read_prefs(profile: Path) -> dict[str, object]:
    """The preferences in ``profile``/prefs.js.

    Raises:
        ThunderbirdProfileError: when the file cannot be read.
    """
    try:
        text = (profile / "prefs.js").read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ThunderbirdProfileError(f"{profile}: no prefs.js ({error})") from error
    prefs: dict[str, object] = {}
    for line in text.splitlines():
        match = _PREF.match(line)
        if not match:
            continue
        try:
            prefs[json.loads(match.group(1))] = json.loads(match.group(2))
        except json.JSONDecodeError:
            continue  # a value we do not need (none of ours is anything else)
    return prefs


def accounts_in(prefs: dict[str, object]) -> list[ImportedAccount]:
    """Every identity with an outgoing server, with its account's IMAP server."""
    found: list[ImportedAccount] = []
    seen: set[str] = set()
    for account in _keys(prefs, "mail.accountmanager.accounts"):
        server = str(prefs.get(f"mail.account.{account}.server", ""))
        imap = _imap(prefs, server)
        oauth2_imap = prefs.get(f"mail.server.{server}.authMethod") == _OAUTH2
        for identity in _keys(prefs, f"mail.account.{account}.identities"):
            email = str(prefs.get(f"mail.identity.{identity}.useremail", "")).strip()
            smtp_key = str(
                prefs.get(f"mail.identity.{identity}.smtpServer")
                or prefs.get("mail.smtp.defaultserver", "")
            )
            smtp, oauth2_smtp = _smtp(prefs, smtp_key)
            if not email or smtp is None or email.lower() in seen:
                continue
            seen.add(email.lower())
            servers = MailServers(
                email=email,
                smtp=smtp,
                imap=imap,
                source=Source.THUNDERBIRD,
                origin=f"Thunderbird {account}/{identity}",
                auth=_auth(smtp.host) if oauth2_smtp or oauth2_imap else Auth.PASSWORD,
            )
            name = str(prefs.get(f"mail.identity.{identity}.fullName", ""))
            found.append(ImportedAccount(email, name, servers))
    return found


def import_profile(profile: Path | None = None) -> list[ImportedAccount]:
    """The accounts of ``profile`` (default: Thunderbird's default profile)."""
    return accounts_in(read_prefs(profile or default_profile()))


def _keys(prefs: dict[str, object], name: str) -> list[str]:
    return [k.strip() for k in str(prefs.get(name, "")).split(",") if k.strip()]


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _imap(prefs: dict[str, object], server: str) -> Server | None:
    base = f"mail.server.{server}."
    if prefs.get(base + "type") != "imap" or not prefs.get(base + "hostname"):
        return None
    tls = _TLS.get(_int(prefs.get(base + "socketType"), 0), "none")
    port = _int(prefs.get(base + "port"), 993 if tls == "implicit" else 143)
    user = str(prefs.get(base + "userName", ""))
    return Server(str(prefs[base + "hostname"]), port, tls, user)


def _smtp(prefs: dict[str, object], key: str) -> tuple[Server | None, bool]:
    base = f"mail.smtpserver.{key}."
    host = str(prefs.get(base + "hostname", "")).strip() if key else ""
    if not host:
        return None, False
    tls = _TLS.get(_int(prefs.get(base + "try_ssl"), 0), "none")
    port = _int(prefs.get(base + "port"), 0) or (465 if tls == "implicit" else 587)
    user = str(prefs.get(base + "username", ""))
    return Server(host, port, tls, user), prefs.get(base + "authMethod") == _OAUTH2


def _auth(host: str) -> Auth:
    name = host.lower()
    if name.endswith((".gmail.com", ".google.com", ".googlemail.com")):
        return Auth.OAUTH2_GOOGLE
    if name.endswith((".outlook.com", ".office365.com", ".hotmail.com")):
        return Auth.OAUTH2_MICROSOFT
    return Auth.PASSWORD  # OAuth2 elsewhere is not something BccGuard speaks
