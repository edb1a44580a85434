"""Secrets (upstream passwords, the proxy's local secret): the OS keyring, or a
private file when no secure keyring exists."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import stat
import string
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import keyring
import keyring.errors
from filelock import FileLock, Timeout
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

from bccguard.adapters.private_files import private_dir, write_private
from bccguard.core.phrase import Phrase

_log = logging.getLogger(__name__)

SERVICE = "bccguard"
LOCAL_SECRET_KEY = "proxy-local-secret"

_POSIX = os.name == "posix"
_DESCRIPTIONS = {
    "keyring.backends.SecretService": Phrase("the system keyring (Secret Service)"),
    "keyring.backends.libsecret": Phrase("the system keyring (Secret Service)"),
    "keyring.backends.kwallet": Phrase("the system keyring (KDE Wallet)"),
    "keyring.backends.macOS": Phrase("the macOS Keychain"),
    "keyring.backends.Windows": Phrase("the Windows Credential Manager"),
}


class SecretStoreError(Exception):
    """A secret could not be read or written."""


class SecretStore(Protocol):
    """Where BccGuard keeps passwords, tokens and its local secret."""

    def get(self, key: str) -> str | None:
        """Return the secret stored under `key`, or None."""
        ...

    def set(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing any previous one."""
        ...

    def delete(self, key: str) -> None:
        """Forget `key`; forgetting a missing key is not an error."""
        ...

    @property
    def description(self) -> str:
        """Where the secrets live, in words for the user (a Phrase, translatable)."""
        ...

    @property
    def secure(self) -> bool:
        """True when the store is encrypted or guarded by the OS."""
        ...


class KeyringSecretStore:
    """Secrets in the OS keyring, under the service name "bccguard"."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        """Use a keyring backend.

        Args:
            backend: The backend to use; default: keyring's current one.
        """
        self._backend = backend if backend is not None else keyring.get_keyring()

    def get(self, key: str) -> str | None:
        """Return the secret stored under `key`, or None.

        Raises:
            SecretStoreError: The keyring failed (locked, gone, refused).
        """
        try:
            value: str | None = self._backend.get_password(SERVICE, key)
        except keyring.errors.KeyringError as e:
            raise SecretStoreError(f"cannot read {key!r} from the keyring: {e}") from e
        return value

    def set(self, key: str, value: str) -> None:
        """Store `value` under `key`.

        Raises:
            SecretStoreError: The keyring failed (locked, gone, refused).
        """
        try:
            self._backend.set_password(SERVICE, key, value)
        except keyring.errors.KeyringError as e:
            raise SecretStoreError(f"cannot store {key!r} in the keyring: {e}") from e

    def delete(self, key: str) -> None:
        """Forget `key`.

        Raises:
            SecretStoreError: The keyring failed (locked, gone, refused).
        """
        try:
            self._backend.delete_password(SERVICE, key)
        except keyring.errors.PasswordDeleteError:
            pass  # not there: nothing to forget
        except keyring.errors.KeyringError as e:
            raise SecretStoreError(
                f"cannot delete {key!r} from the keyring: {e}"
            ) from e

    @property
    def description(self) -> str:
        """The keyring's name, for the user."""
        module = type(self._backend).__module__
        for prefix, text in _DESCRIPTIONS.items():
            if module.startswith(prefix):
                return text
        return Phrase("the system keyring ({name})", name=type(self._backend).__name__)

    @property
    def secure(self) -> bool:
        """Always True: only secure backends are used (see `open_secret_store`)."""
        return True


class MemorySecretStore:
    """Secrets kept in this process only, gone when it ends (tests, throwaway runs)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        """Return the secret stored under `key`, or None."""
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing any previous one."""
        self.values[key] = value

    def delete(self, key: str) -> None:
        """Forget `key`; forgetting a missing key is not an error."""
        self.values.pop(key, None)

    @property
    def description(self) -> str:
        """Where the secrets live, in words for the user."""
        return Phrase("memory (this run only)")

    @property
    def secure(self) -> bool:
        """True: nothing is written where another program could read it."""
        return True


class FileSecretStore:
    """Secrets in a JSON file that only the user can read (mode 0600).

    The fallback when no secure keyring exists: no better than the user's
    home directory permissions, and the UI says so.
    """

    def __init__(self, path: Path) -> None:
        """Use (and create on first write) the file at `path`.

        Args:
            path: The JSON file; its folder is created with mode 0700.
        """
        self.path = path
        self._lock = threading.Lock()
        # Other BccGuard processes write the same file (the proxy and the CLI each
        # store rotated OAuth2 tokens): a change is read, made and renamed into
        # place under this lock, so that none is lost.
        self._file_lock = FileLock(str(path.with_name(path.name + ".lock")), mode=0o600)

    def get(self, key: str) -> str | None:
        """Return the secret stored under `key`, or None.

        Raises:
            SecretStoreError: The file is unreadable, corrupt or not ours.
        """
        with self._lock:
            value = self._load().get(key)
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing the file atomically.

        Raises:
            SecretStoreError: The file cannot be read or written.
        """
        with self._lock, self._across_processes():
            data = self._load()
            data[key] = value
            self._save(data)

    def delete(self, key: str) -> None:
        """Forget `key`.

        Raises:
            SecretStoreError: The file cannot be read or written.
        """
        with self._lock, self._across_processes():
            data = self._load()
            if data.pop(key, None) is not None:
                self._save(data)

    @property
    def description(self) -> str:
        """Where the secrets live, in words for the user."""
        return Phrase("a file only you can read")

    @property
    def secure(self) -> bool:
        """Always False: a file is only as safe as the account that owns it."""
        return False

    @contextlib.contextmanager
    def _across_processes(self) -> Iterator[None]:
        try:
            private_dir(self.path.parent)
            self._file_lock.acquire(timeout=30)
        except (OSError, Timeout) as e:
            raise SecretStoreError(f"cannot lock {self.path}: {e}") from e
        try:
            yield
        finally:
            self._file_lock.release()

    def _load(self) -> dict[str, Any]:
        """Read the file, after making sure no one else can."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags)
        except FileNotFoundError:
            return {}
        except OSError as e:
            raise SecretStoreError(f"cannot open {self.path}: {e.strerror}") from e
        with os.fdopen(fd, "rb") as file:
            self._check_private(file.fileno())
            raw = file.read()
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise SecretStoreError(f"{self.path} is not valid JSON: {e}") from e
        if not isinstance(data, dict):
            raise SecretStoreError(f"{self.path} does not hold a JSON object")
        return data

    def _check_private(self, fd: int) -> None:
        """Refuse a file owned by someone else; tighten one others could read."""
        if not _POSIX:
            return
        info = os.fstat(fd)
        if info.st_uid != os.getuid():
            raise SecretStoreError(
                f"{self.path} belongs to another user; refusing to read secrets from it"
            )
        if stat.S_IMODE(info.st_mode) & 0o077:
            _log.warning(
                "%s was readable by others (mode %o); restricting it to 0600 "
                "(change the passwords it holds if others could have read it)",
                self.path,
                stat.S_IMODE(info.st_mode),
            )
            try:
                os.fchmod(fd, 0o600)
            except OSError as e:
                raise SecretStoreError(
                    f"{self.path} is readable by others and cannot be fixed "
                    f"({e.strerror}); run: chmod 600 {self.path}"
                ) from e

    def _save(self, data: dict[str, Any]) -> None:
        """Write to a private temporary file, then rename it over the old one."""
        folder = self.path.parent
        try:
            private_dir(folder)
        except OSError as e:
            raise SecretStoreError(f"cannot write in {folder}: {e.strerror}") from e
        text = json.dumps(data, indent=2, sort_keys=True)
        try:
            write_private(self.path, text, sync=True)
        except OSError as e:
            raise SecretStoreError(f"cannot write {self.path}: {e.strerror}") from e


def secure_backend(backend: KeyringBackend) -> KeyringBackend | None:
    """Find a backend that does not store secrets in plain text.

    Args:
        backend: keyring's current backend (possibly a chainer).

    Returns:
        The backend itself, the best secure one a chainer holds, or None when
        there is only the fail/null keyring, an empty chainer, keyrings.alt
        (plain-text files) or anything with priority 0 or less.
    """
    if isinstance(backend, chainer.ChainerBackend):
        candidates = [b for b in backend.backends if _is_secure(b)]
        return max(candidates, key=_priority) if candidates else None
    return backend if _is_secure(backend) else None


def open_secret_store(home: Path) -> SecretStore:
    """Open the keyring if a secure one exists, else a private file.

    Args:
        home: BccGuard's configuration folder (where the fallback file goes).

    Returns:
        A `KeyringSecretStore`, or a `FileSecretStore` at `home/secrets.json`
        whose `secure` is False, so the UI can tell the user.
    """
    try:
        backend = secure_backend(keyring.get_keyring())
    except Exception:  # a broken keyring install must not stop the guard
        _log.warning("the keyring could not be loaded", exc_info=True)
        backend = None
    if backend is not None:
        return KeyringSecretStore(backend)
    _log.warning("no secure keyring found; keeping secrets in %s", home)
    return FileSecretStore(home / "secrets.json")


_SECRET_ALPHABET = string.ascii_letters + string.digits


def ensure_local_secret(store: SecretStore) -> str:
    """Return the proxy's local AUTH secret, creating it on first use.

    Args:
        store: Where the secret lives.

    Returns:
        The secret mail clients use as their password for the local proxy.
    """
    existing = store.get(LOCAL_SECRET_KEY)
    if existing:
        return existing
    # Letters and digits only: a secret starting with "-" reads as an option when
    # pasted into a command line (swaks, curl), and "_" is lost in some fields.
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(32))
    store.set(LOCAL_SECRET_KEY, secret)
    return secret


def _is_secure(backend: KeyringBackend) -> bool:
    """Reject backends that fail, forget, or write plain text."""
    if isinstance(backend, fail.Keyring | chainer.ChainerBackend):
        return False
    kind = type(backend)
    if kind.__module__.startswith(("keyrings.alt", "keyring.backends.null")):
        return False
    if "plaintext" in kind.__name__.lower():
        return False
    return _priority(backend) > 0


def _priority(backend: KeyringBackend) -> float:
    """A backend's priority; one that cannot even tell has none."""
    try:
        return float(backend.priority)
    except Exception:
        return -1.0
