"""``bccguard account add EMAIL`` for a provider that signs in by OAuth2: headless,
it prints the URL to open and waits on the loopback redirect; the browser step is
done here by posting the login and consent forms of a real authorization server
(oidc-provider). ``account sign-in NAME`` signs in again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bccguard.adapters.oauth2_tokens import TokenState, token_key
from bccguard.adapters.secrets import FileSecretStore
from bccguard.adapters.settings_file import load_settings
from tests.oauth2_server import AuthServer, browse_sign_in

pytestmark = pytest.mark.slow
EMAIL = "alice@gmail.com"


@pytest.fixture
def home(tmp_path: Path, auth_server: AuthServer) -> Path:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    table = auth_server.oauth_table()
    scopes = ", ".join(f'"{s}"' for s in table["scopes"])  # type: ignore[attr-defined]
    (folder / "config.toml").write_text(
        "[oauth.google]\n"
        f'client_id = "{table["client_id"]}"\n'
        f'authorization_endpoint = "{table["authorization_endpoint"]}"\n'
        f'token_endpoint = "{table["token_endpoint"]}"\n'
        f"scopes = [{scopes}]\n",
        encoding="utf-8",
    )
    return folder


def run_signing_in(home: Path, *argv: str) -> tuple[int, str, str]:
    """Run the command; open the URL it prints the way a browser would."""
    env = {
        **os.environ,
        "BCCGUARD_HOME": str(home),
        # No secure keyring here: the tokens go to the private file.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bccguard", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    printed = []
    for line in process.stdout:
        printed.append(line)
        if line.startswith("http"):
            browse_sign_in(line.strip(), EMAIL)
            break
    out, err = process.communicate(timeout=60)
    return process.returncode, "".join(printed) + out, err


def stored(home: Path) -> TokenState:
    text = FileSecretStore(home / "secrets.json").get(token_key(EMAIL))
    state = TokenState.from_json(text or "")
    assert state is not None
    return state


def test_account_add_signs_in_in_the_browser_and_saves(home: Path) -> None:
    code, out, err = run_signing_in(home, "account", "add", EMAIL)
    assert code == 0, err
    assert "Open this address in your browser" in out
    assert "code_challenge_method=S256" in out
    (account,) = load_settings(home / "config.toml").accounts
    assert account.oauth == "google"
    assert account.smtp_host == "smtp.gmail.com"
    assert account.imap_oauth2
    assert stored(home).refresh_token
    assert "Password for" not in out + err  # never asked
    assert FileSecretStore(home / "secrets.json").get(f"account:{EMAIL}") is None


def test_account_sign_in_replaces_the_grant(home: Path) -> None:
    assert run_signing_in(home, "account", "add", EMAIL)[0] == 0
    first = stored(home)
    code, out, err = run_signing_in(home, "account", "sign-in", EMAIL)
    assert code == 0, err
    assert f"Signed in to {EMAIL}" in out
    assert stored(home).refresh_token != first.refresh_token


def test_sign_in_to_a_password_account_is_refused(home: Path) -> None:
    code, _, err = run_signing_in(home, "account", "sign-in", "nobody")
    assert code == 2
    assert "no account named nobody" in err
