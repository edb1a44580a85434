"""A whole run of an account that signs in with OAuth2, with real peers only:
oidc-provider (access tokens valid for 8 seconds, refresh tokens rotated), Dovecot
validating tokens for IMAP and, as Postfix's SASL service, for SMTP submission,
and a real ``bccguard serve`` process.

Signed in headless (the login form posted by an HTTP client), the guard sends
through Postfix and its watchers follow the mailbox in IDLE while the access
token expires and is refreshed; the proxy, the watchers and another process
refresh at the same moment and nobody is signed out; then the grant is revoked:
the next message waits for a sign-in, and after ``bccguard account sign-in`` it
is sent exactly once.
"""

from __future__ import annotations

import json
import re
import smtplib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.oauth2_client import SignInNeededError, oauth_client
from bccguard.adapters.oauth2_sign_in import sign_in
from bccguard.adapters.oauth2_tokens import TokenProvider, TokenState, token_key
from bccguard.adapters.secrets import FileSecretStore, ensure_local_secret
from bccguard.adapters.settings_file import save_settings
from bccguard.core.settings import Settings, settings_from_mapping
from tests.dovecot_server import USER
from tests.e2e.bccguard_process import (
    SERVE_READY,
    bccguard_command,
    bccguard_environment,
    start_bccguard,
)
from tests.oauth2_mail import OAuth2Mail, running_oauth2_mail
from tests.oauth2_server import AuthServer, browse_sign_in, running_auth_server
from tests.postfix_server import available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]
EMAIL = "alice@example.com"
TOKEN_SECONDS = 8
# Postfix ends idle sessions soon, so that each message logs in again (the relay
# keeps a connection for the next message otherwise).
POSTFIX_EXTRA = "smtpd_timeout = 2s\n"


def message(tag: str) -> bytes:
    return (
        f"From: Alice <{EMAIL}>\r\nTo: Bob <bob@example.net>\r\n"
        f"Subject: {tag}\r\nMessage-ID: <{tag}@example.com>\r\n\r\nhello\r\n"
    ).encode()


def wait_until(what: str, predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        time.sleep(0.05)


class Serve:
    """``bccguard serve`` in its own home, its log kept line by line."""

    def __init__(self, home: Path) -> None:
        self.home = home
        # The tokens live in the home's private secret file, shared with the
        # test (no keyring in CI).
        self.env = bccguard_environment(
            home, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"
        )
        self.lines: list[str] = []
        self.process = start_bccguard(self.env, "serve")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_until("serve listening", lambda: self.said(SERVE_READY), 30)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def said(self, words: str) -> int:
        return sum(words in line for line in list(self.lines))

    def watching(self) -> int:
        """How many times a watcher logged in and opened its folder."""
        pattern = re.compile(r"mailbox gmail: (INBOX|Drafts|Sent)$")
        return sum(bool(pattern.search(line.rstrip())) for line in list(self.lines))

    def cli(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            bccguard_command(*args),
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def held(self) -> list[dict[str, object]]:
        process = self.cli("held", "list", "--json")
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        held: list[dict[str, object]] = json.loads(out)
        return held

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[tuple[AuthServer, OAuth2Mail]]:
    with (
        running_auth_server(TOKEN_SECONDS, tmp_path / "token-events") as server,
        running_oauth2_mail(server, postfix_extra=POSTFIX_EXTRA) as mail,
    ):
        yield server, mail


def settings_for(server: AuthServer, mail: OAuth2Mail) -> Settings:
    return settings_from_mapping(
        {
            "proxy": {"port": free_port()},
            "oauth": {"google": server.oauth_table()},
            "accounts": [
                {
                    "name": "gmail",
                    "email": EMAIL,
                    "smtp_host": "127.0.0.1",
                    "smtp_port": mail.smtp_port,
                    "smtp_tls": "none",
                    "smtp_username": USER,
                    "imap_host": "127.0.0.1",
                    "imap_port": mail.dovecot.port,
                    "imap_tls": "none",
                    "imap_username": USER,
                    "imap_oauth2": True,
                    "oauth": "google",
                }
            ],
        }
    )


def submit(settings: Settings, secret: str, data: bytes) -> int:
    """What the mail program does: send through the proxy."""
    with smtplib.SMTP("127.0.0.1", settings.proxy.port, timeout=60) as client:
        client.login("anyone", secret)
        client.mail(EMAIL)
        client.rcpt("bob@example.net")
        code, _ = client.data(data)
    return code


def copies(mail: OAuth2Mail, tag: str) -> int:
    """Messages with this tag's Message-ID that reached the sink behind Postfix."""
    marker = f"<{tag}@example.com>".encode()
    return sum(marker in data for _, _, data in mail.sink.received)


def sent_uid_seen(home: Path) -> int:
    """The last UID of Sent the watcher has read (its saved state)."""
    try:
        state = json.loads((home / "imap-state" / "gmail.json").read_text())
    except (OSError, ValueError):
        return 0
    return int(state.get("Sent", {}).get("last_uid", 0))


def refreshes(server: AuthServer, since: float) -> int:
    return sum(
        what == "grant refresh_token" for at, what in server.events() if at >= since
    )


def refused_grants(server: AuthServer) -> list[str]:
    return [what for _, what in server.events() if what.startswith("grant-error")]


def test_sign_in_send_watch_expire_race_revoke_and_sign_in_again(
    peers: tuple[AuthServer, OAuth2Mail], tmp_path: Path
) -> None:
    started = time.monotonic()
    server, mail = peers
    settings = settings_for(server, mail)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    save_settings(home / "config.toml", settings)
    secrets = FileSecretStore(home / "secrets.json")
    secret = ensure_local_secret(secrets)
    client = oauth_client(settings, "google")
    tokens = TokenProvider("gmail", client, secrets, home)

    # Signed in headless: the browser step is an HTTP client posting the forms.
    first = sign_in(client, lambda url: browse_sign_in(url, USER), login_hint=EMAIL)
    tokens.store(first)
    signed_in_at = time.time()
    serve = Serve(home)
    try:
        wait_until("watchers in", lambda: serve.watching() >= 3)

        # The first access token expires at the server; the guard goes on.
        time.sleep(max(0.0, signed_in_at + TOKEN_SECONDS + 0.5 - time.time()))
        assert submit(settings, secret, message("after-expiry")) == 250
        wait_until("delivered", lambda: copies(mail, "after-expiry") == 1)
        # Refreshed before the login, after the first token had expired.
        assert refreshes(server, signed_in_at + TOKEN_SECONDS) >= 1
        mail.dovecot.append("Sent", message("after-expiry"))  # the program's copy
        wait_until("seen in Sent by IDLE", lambda: sent_uid_seen(home) >= 1)
        assert serve.watching() == 3  # the IDLE sessions outlived it

        # Everyone needs a new token at once: the proxy (a new session), the
        # three watchers (kicked out, logging in again) and another process.
        stale = TokenState.from_json(secrets.get(token_key("gmail")) or "")
        assert stale is not None
        tokens.store(TokenState(stale.refresh_token, stale.access_token, 0.0))
        race_at = time.time()
        other: list[str] = []
        racer = threading.Thread(target=lambda: other.append(tokens.access_token()))
        mail.kick_imap(USER)
        racer.start()
        assert submit(settings, secret, message("race")) == 250
        racer.join(30)
        wait_until("delivered", lambda: copies(mail, "race") == 1)
        wait_until("watchers back", lambda: serve.watching() >= 6)
        assert refreshes(server, race_at) == 1  # one refresher; the rest read it
        assert other and other[0] != stale.access_token  # the other process too
        assert refused_grants(server) == []  # nobody presented a spent token
        assert serve.said("sign in again") == 0  # nobody signed out
        assert "authentication failed" not in mail.postfix_log()

        # The grant is revoked (its refresh token presented twice elsewhere).
        current = TokenState.from_json(secrets.get(token_key("gmail")) or "")
        assert current is not None
        thief = TokenProvider("thief", client, FileSecretStore(tmp_path / "t"), home)
        thief.store(current)
        thief.access_token(refused=current.access_token)
        thief.store(current)
        with pytest.raises(SignInNeededError):
            thief.access_token(refused=current.access_token)
        time.sleep(2.5)  # Postfix has ended the relay's idle session by now
        assert submit(settings, secret, message("held")) == 250  # BccGuard has it
        wait_until(
            "held for a sign-in",
            lambda: [h["state"] for h in serve.held()] == ["needs-sign-in"],
        )
        assert copies(mail, "held") == 0  # held, not failed, not lost
        mail.kick_imap(USER)
        wait_until("watchers wait", lambda: serve.said("waiting for a sign-in") >= 3)

        # Signed in again with the command line, which tells the running guard.
        command = serve.cli("account", "sign-in", "gmail")
        assert command.stdout is not None
        for line in command.stdout:
            if line.startswith("http"):
                browse_sign_in(line.strip(), USER)
                break
        _, err = command.communicate(timeout=60)
        assert command.returncode == 0, err
        wait_until("sent after the sign-in", lambda: copies(mail, "held") == 1)
        wait_until("watchers back after the sign-in", lambda: serve.watching() >= 9)
        time.sleep(1.0)
        assert copies(mail, "held") == 1  # exactly once
        assert [h["state"] for h in serve.held()] == ["sent"]
    except AssertionError:
        print("".join(serve.lines[-60:]))
        raise
    finally:
        serve.stop()
    assert time.monotonic() - started < 45
