"""Importing accounts from a profile that a real headless Thunderbird wrote: it
creates the profile (profiles.ini), reads our account prefs, and rewrites prefs.js
itself; the import then reads only what Thunderbird left."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bccguard import cli
from bccguard.adapters.thunderbird_profile import (
    ThunderbirdProfileError,
    default_profile,
    import_profile,
    read_prefs,
)
from bccguard.core.discovery import Auth, Server, Source
from bccguard.core.settings import account_from_mapping
from tests.plugin.thunderbird import stop, write_prefs

ACCOUNT_PREFS: dict[str, object] = {
    "mail.accountmanager.accounts": "account1,account2",
    "mail.accountmanager.defaultaccount": "account1",
    # A Gmail account signing in with OAuth2.
    "mail.account.account1.server": "server1",
    "mail.account.account1.identities": "id1",
    "mail.server.server1.type": "imap",
    "mail.server.server1.hostname": "imap.gmail.com",
    "mail.server.server1.port": 993,
    "mail.server.server1.socketType": 3,
    "mail.server.server1.authMethod": 10,
    "mail.server.server1.userName": "anna@gmail.com",
    "mail.identity.id1.useremail": "anna@gmail.com",
    "mail.identity.id1.fullName": "Anna Rossi",
    "mail.identity.id1.smtpServer": "smtp1",
    # A company account with a normal password, two identities on one server.
    "mail.account.account2.server": "server2",
    "mail.account.account2.identities": "id2,id3",
    "mail.server.server2.type": "imap",
    "mail.server.server2.hostname": "mail.corp.example",
    "mail.server.server2.port": 143,
    "mail.server.server2.socketType": 2,
    "mail.server.server2.authMethod": 3,
    "mail.server.server2.userName": "arossi",
    "mail.identity.id2.useremail": "anna.rossi@corp.example",
    "mail.identity.id2.smtpServer": "smtp2",
    "mail.identity.id3.useremail": "sales@corp.example",  # the default SMTP server
    "mail.smtpservers": "smtp1,smtp2",
    "mail.smtp.defaultserver": "smtp2",
    "mail.smtpserver.smtp1.hostname": "smtp.gmail.com",
    "mail.smtpserver.smtp1.port": 465,
    "mail.smtpserver.smtp1.try_ssl": 3,
    "mail.smtpserver.smtp1.authMethod": 10,
    "mail.smtpserver.smtp1.username": "anna@gmail.com",
    "mail.smtpserver.smtp2.hostname": "smtp.corp.example",
    "mail.smtpserver.smtp2.port": 587,
    "mail.smtpserver.smtp2.try_ssl": 2,
    "mail.smtpserver.smtp2.authMethod": 3,
    "mail.smtpserver.smtp2.username": "arossi",
    # Quiet and offline.
    "mail.shell.checkDefaultClient": False,
    "mailnews.start_page.enabled": False,
    "app.update.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "offline.autoDetect": False,
    "offline.startup_state": 2,
}
SAVED_PASSWORD = "thunderbirds-own-secret"


def _thunderbird_wrote_profile(home: Path) -> Path:
    """Thunderbird creates a profile in ``home``, starts on it with our account
    prefs and rewrites prefs.js; the prefs we gave it are then removed."""
    if shutil.which("thunderbird") is None:
        pytest.fail("thunderbird is not installed (.ci/install-system-packages)")
    env = {**os.environ, "HOME": str(home), "MOZ_CRASHREPORTER_DISABLE": "1"}
    subprocess.run(
        ["thunderbird", "--headless", "-CreateProfile", "bccguard-test"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    profile = default_profile([home / ".thunderbird"])
    write_prefs(profile, ACCOUNT_PREFS)
    # As if the user had saved a password in Thunderbird: it must not be read.
    (profile / "logins.json").write_text(json.dumps({"password": SAVED_PASSWORD}))
    process = subprocess.Popen(
        ["thunderbird", "--headless", "--no-remote", "-P", "bccguard-test"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        prefs = profile / "prefs.js"
        # Until Thunderbird has written what only it knows (the account's folder)
        # beside our prefs: a busy machine may take a few seconds more for that.
        wanted = ("mail.smtpserver.smtp2.hostname", "mail.server.server1.directory")
        while time.monotonic() < deadline:
            text = prefs.read_text(errors="replace") if prefs.is_file() else ""
            if all(name in text for name in wanted):
                break
            time.sleep(0.3)
        else:
            pytest.fail("Thunderbird did not write prefs.js")
        time.sleep(0.5)
    finally:
        stop(process)
    (profile / "user.js").unlink()
    return profile


@pytest.fixture(scope="module")
def tb_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("tb-home")
    _thunderbird_wrote_profile(home)
    return home


def test_identities_servers_and_oauth2_from_a_real_profile(tb_home: Path) -> None:
    profile = default_profile([tb_home / ".thunderbird"])
    assert "mail.server.server1.directory" in read_prefs(profile)  # Thunderbird's
    accounts = {a.email: a for a in import_profile(profile)}
    assert sorted(accounts) == [
        "anna.rossi@corp.example",
        "anna@gmail.com",
        "sales@corp.example",
    ]
    gmail = accounts["anna@gmail.com"].servers
    assert gmail.smtp == Server("smtp.gmail.com", 465, "implicit", "anna@gmail.com")
    assert gmail.imap == Server("imap.gmail.com", 993, "implicit", "anna@gmail.com")
    assert gmail.auth is Auth.OAUTH2_GOOGLE
    assert gmail.source is Source.THUNDERBIRD
    assert accounts["anna@gmail.com"].full_name == "Anna Rossi"
    corp = accounts["anna.rossi@corp.example"].servers
    assert corp.smtp == Server("smtp.corp.example", 587, "starttls", "arossi")
    assert corp.imap == Server("mail.corp.example", 143, "starttls", "arossi")
    assert corp.auth is Auth.PASSWORD
    assert accounts["sales@corp.example"].servers.smtp.host == "smtp.corp.example"
    # Each is an account BccGuard accepts, signing in as Thunderbird did.
    values = corp.account_values("work")
    assert account_from_mapping(values).smtp_username == "arossi"


def test_import_thunderbird_json_from_the_default_profile(
    tb_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("HOME", str(tb_home))
    monkeypatch.setenv("BCCGUARD_HOME", str(tmp_path / "bccguard"))
    assert cli.main(["account", "import-thunderbird", "--json"]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out)
    gmail = next(a for a in listed if a["email"] == "anna@gmail.com")
    assert {k: gmail[k] for k in ("smtp_host", "smtp_port", "smtp_tls", "auth")} == {
        "smtp_host": "smtp.gmail.com",
        "smtp_port": 465,
        "smtp_tls": "implicit",
        "auth": "oauth2-google",
    }
    assert gmail["imap_host"] == "imap.gmail.com"
    assert gmail["source"] == "thunderbird"
    assert SAVED_PASSWORD not in out  # never read


def test_import_thunderbird_in_words_with_a_profile_folder(
    tb_home: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BCCGUARD_HOME", str(tmp_path / "bccguard"))
    profile = default_profile([tb_home / ".thunderbird"])
    code = cli.main(["account", "import-thunderbird", "--profile", str(profile)])
    assert code == 0
    out = capsys.readouterr().out
    assert "anna.rossi@corp.example" in out
    assert "smtp.corp.example:587 (starttls)" in out
    assert "you sign in again" in out


def test_no_profile_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("BCCGUARD_HOME", str(tmp_path / "bccguard"))
    assert cli.main(["account", "import-thunderbird"]) == 2
    assert "no Thunderbird profiles.ini found" in capsys.readouterr().err
    with pytest.raises(ThunderbirdProfileError):
        default_profile([tmp_path])
