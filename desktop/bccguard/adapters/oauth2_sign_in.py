"""Signing in with OAuth2: authorization code with PKCE (RFC 7636) in the system
browser, the code coming back to a loopback redirect (RFC 8252 §7.3).

The protocol is authlib's: this module only opens a one-shot HTTP listener on
127.0.0.1 for the browser's redirect and hands what arrives to authlib, which
checks ``state`` and trades the code (with the PKCE verifier) for tokens.
"""

from __future__ import annotations

import http.server
import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token

from bccguard.adapters.oauth2_client import (
    OAuthClient,
    OAuthError,
    OAuthTemporaryError,
)
from bccguard.adapters.oauth2_tokens import TokenState, new_session

_log = logging.getLogger(__name__)

SIGN_IN_TIMEOUT = 300.0  # seconds the user has to finish in the browser
_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>BccGuard</title>"
    "<p>{text}</p><p>You can close this window.</p>"
)


class SignInError(OAuthError):
    """The sign-in did not finish: refused, cancelled, timed out or mismatched."""


class LoopbackRedirect:
    """A listener on 127.0.0.1 (a free port) that takes one redirect."""

    def __init__(self) -> None:
        """Listen; the address is in :attr:`redirect_uri`."""
        self._arrived = threading.Event()
        self._url = ""
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if "code" not in query and "error" not in query:
                    self.send_error(404)  # a favicon, a probe: not the redirect
                    return
                ok = "code" in query
                text = "Signed in to BccGuard." if ok else "The sign-in was refused."
                body = _DONE_PAGE.format(text=text).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                owner._take(self.path)

            def log_message(self, format: str, *args: object) -> None:
                # The query carries the authorization code: never in the log.
                pass

        # RFC 8252 §8.3: the loopback IP literal, not "localhost".
        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="oauth-redirect", daemon=True
        )
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        """Where the authorization server sends the browser back."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def _take(self, path: str) -> None:
        if not self._arrived.is_set():
            self._url = self.redirect_uri.rstrip("/") + path
            self._arrived.set()

    def wait(self, timeout: float) -> str:
        """The full redirect URL, once it arrives.

        Raises:
            SignInError: nothing arrived within ``timeout`` seconds.
        """
        if not self._arrived.wait(timeout):
            raise SignInError("the sign-in was not finished in the browser in time")
        return self._url

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def sign_in(
    client: OAuthClient,
    open_url: Callable[[str], object],
    *,
    login_hint: str = "",
    timeout: float = SIGN_IN_TIMEOUT,
    clock: Callable[[], float] = time.time,
) -> TokenState:
    """Sign in in the browser and return the new tokens (not stored yet).

    Args:
        client: BccGuard's registration with the provider.
        open_url: Shows the authorization URL to the user (opens the system
            browser, or prints it).
        login_hint: The account's address, so the provider preselects it.
        timeout: Seconds to wait for the browser to come back.
        clock: Epoch seconds.

    Raises:
        SignInError: refused, timed out, or a redirect that is not ours.
        OAuthTemporaryError: the token endpoint could not be reached.
    """
    redirect = LoopbackRedirect()
    try:
        session = new_session(
            client, redirect_uri=redirect.redirect_uri, code_challenge_method="S256"
        )
        verifier = generate_token(64)  # RFC 7636 §4.1: 43–128 characters
        extra = dict(client.extra)
        if login_hint:
            extra["login_hint"] = login_hint
        url, state = session.create_authorization_url(
            client.authorization_endpoint, code_verifier=verifier, **extra
        )
        open_url(url)
        response = redirect.wait(timeout)
        error = parse_qs(urlsplit(response).query).get("error")
        if error:
            raise SignInError(f"the provider refused the sign-in: {error[0]}")
        try:
            token = session.fetch_token(
                client.token_endpoint,
                authorization_response=response,
                state=state,
                code_verifier=verifier,
            )
        except AuthlibBaseError as failure:  # a token error, or a state mismatch
            raise SignInError(
                f"the provider refused the sign-in: {failure.error}"
            ) from failure
        except requests.RequestException as failure:
            raise OAuthTemporaryError(
                f"the token server could not be reached: {type(failure).__name__}"
            ) from failure
        finally:
            session.close()
    finally:
        redirect.close()
    if not token.get("refresh_token"):
        raise SignInError(
            "the provider gave no refresh token (offline access was not granted)"
        )
    return TokenState.from_response(dict(token), "", clock())
