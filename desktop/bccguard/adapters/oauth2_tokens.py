"""An account's OAuth2 tokens: kept in the secret store, refreshed by one process
at a time.

Authorization servers rotate refresh tokens, and presenting a spent one may revoke
the whole grant (RFC 9700 §4.14.2; oidc-provider does). So every refresh of an
account happens under a file lock in BccGuard's home, shared by the proxy, the
IMAP watcher and the CLI; the new tokens are stored (one keyring item, written
whole) before the lock is released, and the next holder reads them first.

A token response lost in transit leaves the old refresh token stored: nothing is
written until a response arrives. If the server had rotated it meanwhile, the
next refresh gets ``invalid_grant``; the store is read again then, in case
another process stored newer tokens, before the user is asked to sign in.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError
from authlib.integrations.requests_client import OAuth2Session
from filelock import FileLock, Timeout

from bccguard.adapters import paths
from bccguard.adapters.oauth2_client import (
    OAuthClient,
    OAuthTemporaryError,
    SignInNeededError,
    oauth_client,
)
from bccguard.adapters.private_files import private_dir
from bccguard.adapters.secrets import SecretStore, SecretStoreError
from bccguard.core.settings import Account, Settings

_log = logging.getLogger(__name__)

# An access token this close to its expiry is refreshed before a login (a quarter
# of its lifetime when that is shorter: a token issued for a few seconds is used).
EXPIRY_MARGIN = 60.0
LOCK_TIMEOUT = 120.0  # a refresh takes one HTTP round trip; this is a hung peer
HTTP_TIMEOUT = 30.0


def token_key(account_name: str) -> str:
    """The secret-store key of an account's OAuth2 tokens (one JSON item)."""
    return f"oauth:{account_name}"


def lock_path(home: Path, account_name: str) -> Path:
    """The file whose lock makes one refresher of ``account_name`` at a time."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", account_name)
    return home / "oauth-locks" / f"{safe}.lock"


@dataclass(frozen=True, slots=True)
class TokenState:
    """What is stored for one account."""

    refresh_token: str
    access_token: str = ""
    expires_at: float = 0.0  # epoch seconds; 0: unknown (refresh before use)
    lifetime: float = 0.0  # seconds the access token was issued for; 0: unknown

    def fresh(self, now: float) -> bool:
        """True when the access token can be used for a login now."""
        margin = EXPIRY_MARGIN
        if self.lifetime > 0:
            margin = min(margin, self.lifetime / 4)
        return bool(self.access_token) and self.expires_at - margin > now

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "refresh_token": self.refresh_token,
                "access_token": self.access_token,
                "expires_at": self.expires_at,
                "lifetime": self.lifetime,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> TokenState | None:
        """Read the stored form; None when it is not one."""
        try:
            data = json.loads(text)
            return cls(
                refresh_token=str(data["refresh_token"]),
                access_token=str(data.get("access_token", "")),
                expires_at=float(data.get("expires_at", 0.0)),
                lifetime=float(data.get("lifetime", 0.0)),
            )
        except (ValueError, TypeError, KeyError):
            return None

    @classmethod
    def from_response(
        cls, token: dict[str, Any], previous: str, now: float
    ) -> TokenState:
        """The state after a token response (RFC 6749 §5.1): a server that does
        not rotate sends no refresh token, and the previous one stays."""
        expires_in = token.get("expires_in")
        expires_at = float(token.get("expires_at") or 0.0)
        lifetime = 0.0
        if isinstance(expires_in, int | float):
            expires_at = now + float(expires_in)
            lifetime = float(expires_in)
        return cls(
            refresh_token=str(token.get("refresh_token") or previous),
            access_token=str(token["access_token"]),
            expires_at=expires_at,
            lifetime=lifetime,
        )


def new_session(client: OAuthClient, **kwargs: Any) -> OAuth2Session:
    """An authlib session for ``client`` (public clients authenticate with none)."""
    return OAuth2Session(
        client_id=client.client_id,
        client_secret=client.client_secret or None,
        token_endpoint_auth_method=(
            "client_secret_post" if client.client_secret else "none"
        ),
        scope=" ".join(client.scopes),
        timeout=HTTP_TIMEOUT,
        **kwargs,
    )


class TokenProvider:
    """Access tokens for one account, for SMTP and IMAP logins."""

    def __init__(
        self,
        account_name: str,
        client: OAuthClient,
        secrets: SecretStore,
        home: Path,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Serve tokens of ``account_name``.

        Args:
            account_name: The account (its tokens are under ``oauth:<name>``).
            client: BccGuard's registration with the account's provider.
            secrets: Where the tokens are stored.
            home: BccGuard's home (the lock file lives there).
            clock: Epoch seconds (tests move it).
        """
        self.account_name = account_name
        self.client = client
        self._secrets = secrets
        self._key = token_key(account_name)
        self._clock = clock
        path = lock_path(home, account_name)
        private_dir(path.parent)
        self._file_lock = FileLock(str(path), mode=0o600)  # private, like the home
        self._thread_lock = threading.Lock()

    def access_token(self, *, refused: str | None = None) -> str:
        """A usable access token, refreshed first when it is (nearly) expired.

        Args:
            refused: A token the server just refused: refresh even if it has
                not expired (unless another process already replaced it).

        Raises:
            SignInNeededError: no grant is stored, or the server refused it.
            OAuthTemporaryError: the server could not be reached, or answered
                with something else than tokens; the stored grant is kept.
        """
        state = self._load()
        if state.fresh(self._clock()) and state.access_token != refused:
            return state.access_token
        with self._thread_lock, self._cross_process_lock():
            state = self._load()  # another process may have refreshed meanwhile
            if state.fresh(self._clock()) and state.access_token != refused:
                return state.access_token
            return self._refresh(state).access_token

    def password(self) -> str | None:
        """The relay's and the IMAP login's password source: a token."""
        return self.access_token()

    def store(self, state: TokenState) -> None:
        """Keep the tokens of a new sign-in (under the lock: a refresh running in
        another process must not overwrite them with the old grant's)."""
        with self._thread_lock, self._cross_process_lock():
            self._save(state)

    def _refresh(self, state: TokenState) -> TokenState:
        """Trade the refresh token for new tokens; store them before returning."""
        try:
            new = self._ask(state.refresh_token)
        except SignInNeededError:
            # A response lost in transit after the server rotated: maybe another
            # process stored a newer token meanwhile; never sign out on a stale read.
            latest = self._load()
            if latest.refresh_token == state.refresh_token:
                raise
            _log.info(
                "%s: the grant was renewed elsewhere; using it", self.account_name
            )
            if latest.fresh(self._clock()):
                return latest
            new = self._ask(latest.refresh_token)
        self._save(new)
        return new

    def _ask(self, refresh_token: str) -> TokenState:
        session = new_session(self.client)
        try:
            token = session.refresh_token(
                self.client.token_endpoint, refresh_token=refresh_token
            )
        except AuthlibOAuthError as error:
            if error.error == "invalid_grant":
                raise SignInNeededError(
                    f"{self.account_name}: the sign-in is no longer valid "
                    f"({error.description or error.error}); sign in again"
                ) from error
            raise OAuthTemporaryError(
                f"{self.account_name}: the token server refused: {error.error}"
            ) from error
        except (requests.RequestException, ValueError) as error:
            raise OAuthTemporaryError(
                f"{self.account_name}: the token server could not be reached: "
                f"{type(error).__name__}"
            ) from error
        finally:
            session.close()
        if "access_token" not in token:
            raise OAuthTemporaryError(
                f"{self.account_name}: the token server sent no access token"
            )
        _log.info("%s: access token refreshed", self.account_name)
        return TokenState.from_response(dict(token), refresh_token, self._clock())

    def _load(self) -> TokenState:
        try:
            text = self._secrets.get(self._key)
        except SecretStoreError as error:
            raise OAuthTemporaryError(str(error)) from error
        state = TokenState.from_json(text) if text else None
        if state is None:
            raise SignInNeededError(f"{self.account_name}: not signed in yet")
        return state

    def _save(self, state: TokenState) -> None:
        try:
            self._secrets.set(self._key, state.to_json())
        except SecretStoreError as error:
            raise OAuthTemporaryError(str(error)) from error

    @contextlib.contextmanager
    def _cross_process_lock(self) -> Iterator[None]:
        try:
            self._file_lock.acquire(timeout=LOCK_TIMEOUT)
        except Timeout as error:
            raise OAuthTemporaryError(
                f"{self.account_name}: another BccGuard process has been refreshing "
                "for too long"
            ) from error
        try:
            yield
        finally:
            self._file_lock.release()


def account_tokens(
    settings: Settings,
    account: Account,
    secrets: SecretStore,
    home: Path | None = None,
) -> TokenProvider:
    """The token provider of an account that signs in by OAuth2.

    Args:
        settings: Where the provider's client registration is.
        account: An account whose ``oauth`` names its provider.
        secrets: Where its tokens are stored.
        home: BccGuard's home, where the refresh lock lives (default: the one
            every BccGuard process of this user shares).

    Raises:
        OAuthConfigError: the provider has no client id configured.
    """
    client = oauth_client(settings, account.oauth)
    return TokenProvider(
        account.name, client, secrets, home if home is not None else paths.home()
    )
