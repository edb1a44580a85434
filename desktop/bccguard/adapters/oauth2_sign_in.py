"""Signing in with OAuth2: authorization code with PKCE (RFC 7636) in the system
browser, the code coming back to a loopback redirect (RFC 8252 §7.3), from the
server it was asked of (RFC 9207).

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
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token

from bccguard.adapters.oauth2_client import (
    OAuthClient,
    OAuthError,
    OAuthTemporaryError,
)
from bccguard.adapters.oauth2_tokens import HTTP_TIMEOUT, TokenState, new_session

_log = logging.getLogger(__name__)

SIGN_IN_TIMEOUT = 300.0  # seconds the user has to finish in the browser
# The same page whatever came back: BccGuard's own window says how it went.
_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>BccGuard</title>"
    "<p>BccGuard has the answer of the sign-in. Go back to BccGuard to see how it "
    "went; you can close this window.</p>"
)


class SignInFailure(StrEnum):
    """Why a sign-in did not finish; each has its own words for the user."""

    DENIED = "denied"  # the user (or the provider) said no
    TIMED_OUT = "timed-out"
    CANCELLED = "cancelled"
    MISMATCH = "mismatch"  # an answer not for this sign-in, or from another server
    NO_REFRESH_TOKEN = "no-refresh-token"
    REFUSED = "refused"  # the provider refused otherwise


class SignInError(OAuthError):
    """The sign-in did not finish: refused, cancelled, timed out or mismatched."""

    def __init__(
        self, message: str, failure: SignInFailure = SignInFailure.REFUSED
    ) -> None:
        super().__init__(message)
        self.failure = failure


class LoopbackRedirect:
    """A listener on 127.0.0.1 (a free port) that takes one redirect."""

    def __init__(self) -> None:
        """Listen; the address is in :attr:`redirect_uri`."""
        self._arrived = threading.Event()
        self._cancelled = False
        self._url = ""
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if "code" not in query and "error" not in query:
                    self.send_error(404)  # a favicon, a probe: not the redirect
                    return
                body = _DONE_PAGE.encode()
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
            SignInError: nothing arrived within ``timeout`` seconds, or
                :meth:`cancel` was called.
        """
        arrived = self._arrived.wait(timeout)
        if self._cancelled:
            raise SignInError("the sign-in was cancelled", SignInFailure.CANCELLED)
        if not arrived:
            raise SignInError(
                "the sign-in was not finished in the browser in time",
                SignInFailure.TIMED_OUT,
            )
        return self._url

    def cancel(self) -> None:
        """End a :meth:`wait` now (from another thread)."""
        if not self._arrived.is_set():
            self._cancelled = True
            self._arrived.set()

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def issuer_promised(issuer: str) -> bool:
    """True when the server's metadata says every authorization response names
    its issuer (RFC 9207 §3: ``authorization_response_iss_parameter_supported``).

    The metadata is read from OpenID Connect Discovery's address, else from RFC
    8414's; metadata naming another issuer is not used (RFC 8414 §3.3).

    Raises:
        SignInError: the metadata names another issuer.
        OAuthTemporaryError: the server could not be reached.
    """
    parts = urlsplit(issuer)
    addresses = (
        issuer.rstrip("/") + "/.well-known/openid-configuration",
        # RFC 8414 §3.1: the well-known part goes between the host and the path.
        f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server"
        + parts.path.rstrip("/"),
    )
    for address in addresses:
        try:
            answer = requests.get(address, timeout=HTTP_TIMEOUT)
            if answer.status_code == 404:
                continue
            answer.raise_for_status()
            metadata = answer.json()
        except (requests.RequestException, ValueError) as failure:
            raise OAuthTemporaryError(
                f"the sign-in server's metadata could not be read: "
                f"{type(failure).__name__}"
            ) from failure
        if not isinstance(metadata, dict) or metadata.get("issuer") != issuer:
            raise SignInError(
                f"the metadata at {address} is not {issuer}'s",
                SignInFailure.MISMATCH,
            )
        return metadata.get("authorization_response_iss_parameter_supported") is True
    return False


def check_issuer(client: OAuthClient, iss: str | None) -> None:
    """RFC 9207 §2.4: an authorization response that names its issuer must name
    the server the request went to; one that does not must come from a server
    that does not promise to.

    Raises:
        SignInError: another issuer, or none where one was promised.
        OAuthTemporaryError: the server's metadata could not be read.
    """
    if iss is not None:
        if not client.issuer:
            # Nothing to compare with (a multi-tenant Microsoft sign-in).
            _log.info("%s: the sign-in names issuer %s", client.provider, iss)
        elif iss != client.issuer:  # RFC 9207 §2.4: simple string comparison
            raise SignInError(
                f"the answer comes from {iss}, not from {client.issuer}",
                SignInFailure.MISMATCH,
            )
        return
    if client.issuer and issuer_promised(client.issuer):
        raise SignInError(
            f"the answer names no issuer, though {client.issuer} says it always does",
            SignInFailure.MISMATCH,
        )


class PendingSignIn:
    """One sign-in in the browser: its address, then its answer.

    The loopback listener runs from the start, so the answer is taken whenever
    the browser comes back; :meth:`wait` blocks (run it off the GUI thread) and
    :meth:`cancel` ends it from another thread.
    """

    def __init__(
        self,
        client: OAuthClient,
        *,
        login_hint: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Listen for the redirect and make the authorization URL (:attr:`url`).

        Args:
            client: BccGuard's registration with the provider.
            login_hint: The account's address, so the provider preselects it.
            clock: Epoch seconds.
        """
        self.client = client
        self._clock = clock
        self._redirect = LoopbackRedirect()
        try:
            self._session = new_session(
                client,
                redirect_uri=self._redirect.redirect_uri,
                code_challenge_method="S256",
            )
            self._verifier = generate_token(64)  # RFC 7636 §4.1: 43–128 characters
            extra = dict(client.extra)
            if login_hint:
                extra["login_hint"] = login_hint
            self.url, self._state = self._session.create_authorization_url(
                client.authorization_endpoint, code_verifier=self._verifier, **extra
            )
        except Exception:
            self._redirect.close()
            raise

    def wait(self, timeout: float = SIGN_IN_TIMEOUT) -> TokenState:
        """The new tokens (not stored yet), once the browser came back.

        Raises:
            SignInError: refused, cancelled, timed out, or an answer that is not
                this sign-in's.
            OAuthTemporaryError: the token endpoint could not be reached.
        """
        response = self._redirect.wait(timeout)
        query = parse_qs(urlsplit(response).query)

        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        if one("state") != self._state:  # RFC 6749 §10.12
            raise SignInError(
                "the answer is not for this sign-in (its state differs)",
                SignInFailure.MISMATCH,
            )
        check_issuer(self.client, one("iss"))
        error = one("error")
        if error:
            raise SignInError(
                f"the provider refused the sign-in: {error}",
                SignInFailure.DENIED
                if error == "access_denied"
                else SignInFailure.REFUSED,
            )
        return self._trade(response)

    def _trade(self, response: str) -> TokenState:
        """The code (with the PKCE verifier) for tokens."""
        try:
            token = self._session.fetch_token(
                self.client.token_endpoint,
                authorization_response=response,
                state=self._state,
                code_verifier=self._verifier,
            )
        except AuthlibBaseError as failure:  # a token error, or a state mismatch
            raise SignInError(
                f"the provider refused the sign-in: {failure.error}"
            ) from failure
        except requests.RequestException as failure:
            raise OAuthTemporaryError(
                f"the token server could not be reached: {type(failure).__name__}"
            ) from failure
        if not token.get("refresh_token"):
            raise SignInError(
                "the provider gave no refresh token (offline access was not granted)",
                SignInFailure.NO_REFRESH_TOKEN,
            )
        return TokenState.from_response(dict(token), "", self._clock())

    def cancel(self) -> None:
        """End a :meth:`wait` now; it raises a cancelled :class:`SignInError`."""
        self._redirect.cancel()

    def close(self) -> None:
        """Stop listening (the sign-in cannot finish any more)."""
        self._redirect.cancel()
        self._session.close()
        self._redirect.close()


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
    pending = PendingSignIn(client, login_hint=login_hint, clock=clock)
    try:
        open_url(pending.url)
        return pending.wait(timeout)
    finally:
        pending.close()
