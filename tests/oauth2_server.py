"""A real OpenID Connect authorization server on loopback (npm oidc-provider), and
a headless "browser" that signs in on its login and consent pages.

oidc-provider comes from npm at the version pinned in tests/oauth2/package.json
(and its package-lock.json), installed with ``npm ci`` into tests/oauth2/node_modules
when it is missing or another version.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.npm_packages import ensure_installed

HERE = Path(__file__).resolve().parent / "oauth2"
NODE_MODULES = HERE / "node_modules"
CLIENT_ID = "bccguard-test"
SCOPES = ("openid", "offline_access", "email")


def install() -> None:
    """The pinned oidc-provider, installed first when it is not there yet."""
    ensure_installed(HERE, "oidc-provider")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class AuthServer:
    """A running oidc-provider: its issuer and endpoints."""

    issuer: str
    events_file: Path | None = None

    def events(self) -> list[tuple[float, str]]:
        """What the server did, if started with an events file: (epoch seconds,
        "grant refresh_token" | "grant authorization_code" | "grant-error <grant
        type> <error>" | "revoked")."""
        if self.events_file is None or not self.events_file.exists():
            return []
        lines = self.events_file.read_text().splitlines()
        return [(float(t), what) for t, _, what in (x.partition(" ") for x in lines)]

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.issuer}/auth"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    def oauth_table(self) -> dict[str, object]:
        """The ``[oauth.google]`` table that points BccGuard at this server."""
        return {
            "client_id": CLIENT_ID,
            "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.token_endpoint,
            "scopes": list(SCOPES),
            "issuer": self.issuer,
        }

    def answer_iss(self, mode: str) -> None:
        """What the authorization responses say of their issuer (RFC 9207) from
        now on: "" as is, "wrong", "drop", "unpromised" (auth_server.mjs)."""
        answer = requests.get(
            f"{self.issuer}/test/iss", params={"mode": mode}, timeout=10
        )
        answer.raise_for_status()


@contextlib.contextmanager
def running_auth_server(
    access_token_seconds: int = 3600, events_file: Path | None = None
) -> Iterator[AuthServer]:
    """Start oidc-provider on a free loopback port; stop it afterwards.

    Args:
        access_token_seconds: How long its access tokens are valid.
        events_file: Where it notes each token response (:meth:`AuthServer.events`).
    """
    install()
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (.ci/install-system-packages installs it)")
    port = _free_port()
    process = subprocess.Popen(
        [
            node,
            "auth_server.mjs",
            str(port),
            str(access_token_seconds),
            *([str(events_file)] if events_file is not None else []),
        ],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready "), f"oidc-provider did not start: {line!r}"
        yield AuthServer(issuer=line.split()[1], events_file=events_file)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


class _Form(HTMLParser):
    """The first form of a page: its action and its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.action:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


def browse_sign_in(url: str, login: str, *, timeout: float = 30.0) -> None:
    """What a user does in the browser: open the URL, sign in, consent. The last
    redirect goes to BccGuard's loopback listener, like a browser's would."""
    session = requests.Session()
    deadline = time.monotonic() + timeout
    response = session.get(url, timeout=timeout)
    while time.monotonic() < deadline:
        response.raise_for_status()
        if "<form" not in response.text:
            return  # the loopback listener's "signed in" page
        form = _Form()
        form.feed(response.text)
        fields = dict(form.fields)
        if "login" in fields:
            fields.update(login=login, password="any")
        response = session.post(
            urljoin(response.url, form.action), data=fields, timeout=timeout
        )
    raise AssertionError("the sign-in pages did not end")


def browse_refusal(url: str, *, timeout: float = 30.0) -> None:
    """What a user who says no does: open the URL and abort on the login page
    (oidc-provider then answers ``access_denied`` to the redirect)."""
    session = requests.Session()
    page = session.get(url, timeout=timeout)
    page.raise_for_status()
    uid = urlsplit(page.url).path.rstrip("/").rsplit("/", 1)[1]
    answer = session.get(
        f"{urljoin(page.url, '/')}interaction/{uid}/abort", timeout=timeout
    )
    answer.raise_for_status()


MAIL_SERVER_CLIENT = ("mail-server", "mail-server-secret")


def introspect(server: AuthServer, token: str) -> dict[str, object]:
    """What a mail server learns about ``token`` (RFC 7662), as Dovecot asks."""
    answer = requests.post(
        f"{server.issuer}/token/introspection",
        data={"token": token},
        auth=MAIL_SERVER_CLIENT,
        timeout=10,
    )
    answer.raise_for_status()
    result: dict[str, object] = answer.json()
    return result
