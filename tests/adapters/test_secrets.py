"""Secret stores: the keyring (an in-memory backend) and the private-file fallback."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

from bccguard.adapters.secrets import (
    LOCAL_SECRET_KEY,
    SERVICE,
    FileSecretStore,
    KeyringSecretStore,
    MemorySecretStore,
    SecretStore,
    SecretStoreError,
    ensure_local_secret,
    open_secret_store,
    secure_backend,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


class PlaintextKeyring(MemoryKeyring):
    """Looks like keyrings.alt's file backend: plain text on disk."""

    priority = 0.5  # type: ignore[assignment]


PlaintextKeyring.__module__ = "keyrings.alt.file"


class UselessKeyring(MemoryKeyring):
    """A backend that says it should not be used."""

    priority = 0  # type: ignore[assignment]


class LockedKeyring(MemoryKeyring):
    """A keyring whose every operation fails, like a locked Secret Service."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring installed as keyring's backend for one test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def installed_keyring() -> Iterator[None]:
    """Restore keyring's backend after a test that installs its own."""
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


# -- keyring ----------------------------------------------------------------------


def test_keyring_store_round_trip(memory_keyring: MemoryKeyring) -> None:
    store = KeyringSecretStore()

    assert store.get("smtp:alice@example.com") is None
    store.set("smtp:alice@example.com", "s3cret")

    assert store.get("smtp:alice@example.com") == "s3cret"
    assert memory_keyring.passwords == {(SERVICE, "smtp:alice@example.com"): "s3cret"}
    store.delete("smtp:alice@example.com")
    store.delete("smtp:alice@example.com")  # forgetting twice is fine
    assert store.get("smtp:alice@example.com") is None
    assert store.secure


def test_keyring_errors_become_secret_store_errors(installed_keyring: None) -> None:
    keyring.set_keyring(LockedKeyring())
    store = KeyringSecretStore()

    with pytest.raises(SecretStoreError, match="collection is locked"):
        store.get("k")
    with pytest.raises(SecretStoreError, match="cannot store"):
        store.set("k", "v")


def test_open_secret_store_uses_a_secure_keyring(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    store = open_secret_store(tmp_path)

    assert isinstance(store, KeyringSecretStore)
    assert store.secure
    assert store.description == "the system keyring (MemoryKeyring)"
    store.set("k", "v")
    assert memory_keyring.passwords == {(SERVICE, "k"): "v"}
    assert not (tmp_path / "secrets.json").exists()


@pytest.mark.parametrize(
    "backend",
    [PlaintextKeyring(), UselessKeyring(), fail.Keyring()],
    ids=["keyrings.alt plaintext", "priority 0", "fail"],
)
def test_insecure_backends_fall_back_to_a_private_file(
    installed_keyring: None,
    tmp_path: Path,
    backend: KeyringBackend,
    caplog: pytest.LogCaptureFixture,
) -> None:
    keyring.set_keyring(backend)

    store = open_secret_store(tmp_path)

    assert isinstance(store, FileSecretStore)
    assert store.path == tmp_path / "secrets.json"
    assert not store.secure
    assert store.description == "a file only you can read"
    assert "no secure keyring" in caplog.text


def test_empty_chainer_is_not_a_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])

    assert secure_backend(chainer.ChainerBackend()) is None


def test_chainer_yields_its_best_secure_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memory = MemoryKeyring()
    monkeypatch.setattr(
        chainer.ChainerBackend, "backends", [PlaintextKeyring(), memory]
    )

    assert secure_backend(chainer.ChainerBackend()) is memory


# -- the private file --------------------------------------------------------------


def test_file_store_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "home" / "secrets.json"
    store = FileSecretStore(path)

    assert store.get("k") is None
    store.set("k", "v")
    store.set("other", "w")
    store.delete("other")

    assert FileSecretStore(path).get("k") == "v"
    assert json.loads(path.read_text()) == {"k": "v"}
    # No temporary file left; the lock other processes share stays.
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["secrets.json", "secrets.json.lock"]


@posix_only
def test_file_store_is_private(tmp_path: Path) -> None:
    path = tmp_path / "home" / "secrets.json"

    FileSecretStore(path).set("k", "v")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@posix_only
def test_file_others_can_read_is_tightened_before_reading(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "secrets.json"
    path.write_text('{"k": "v"}')
    path.chmod(0o644)

    assert FileSecretStore(path).get("k") == "v"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by others" in caplog.text


@posix_only
def test_symlinked_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"k": "v"}')
    (tmp_path / "secrets.json").symlink_to(target)

    with pytest.raises(SecretStoreError, match="cannot open"):
        FileSecretStore(tmp_path / "secrets.json").get("k")


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text("{not json")
    path.chmod(0o600)

    with pytest.raises(SecretStoreError, match="not valid JSON"):
        FileSecretStore(path).get("k")


# -- the proxy's local secret ------------------------------------------------------


def test_local_secret_is_created_once_then_reused(tmp_path: Path) -> None:
    store: SecretStore = FileSecretStore(tmp_path / "secrets.json")

    first = ensure_local_secret(store)
    second = ensure_local_secret(FileSecretStore(tmp_path / "secrets.json"))

    assert first == second
    assert len(first) == 32
    assert store.get(LOCAL_SECRET_KEY) == first


def test_local_secret_is_safe_to_paste_on_a_command_line(tmp_path: Path) -> None:
    # One secret in 64 used to start with "-", which swaks read as an option.
    made = [
        ensure_local_secret(FileSecretStore(tmp_path / f"s{i}.json"))
        for i in range(300)
    ]
    assert all(secret.isalnum() and secret.isascii() for secret in made)
    assert len(set(made)) == len(made)


def test_local_secret_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    secret = ensure_local_secret(KeyringSecretStore())

    assert memory_keyring.passwords == {(SERVICE, LOCAL_SECRET_KEY): secret}
    assert ensure_local_secret(KeyringSecretStore()) == secret


def test_secrets_never_logged(
    memory_keyring: MemoryKeyring, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    secret = ensure_local_secret(open_secret_store(tmp_path))

    assert secret not in caplog.text


def test_the_memory_store_says_it_forgets(tmp_path: Path) -> None:
    store = MemorySecretStore()
    store.set("k", "v")
    assert store.get("k") == "v"
    store.delete("k")
    assert store.get("k") is None
    assert store.description == "memory (this run only)"
    assert store.secure  # nothing on disk


@pytest.mark.parametrize(
    ("module", "words"),
    [
        ("keyring.backends.SecretService", "the system keyring (Secret Service)"),
        ("keyring.backends.kwallet", "the system keyring (KDE Wallet)"),
        ("keyring.backends.macOS", "the macOS Keychain"),
        ("keyring.backends.Windows", "the Windows Credential Manager"),
    ],
)
def test_keyrings_are_named_for_people(module: str, words: str) -> None:
    backend = type("Keyring", (MemoryKeyring,), {"__module__": module})()
    assert KeyringSecretStore(backend).description == words
