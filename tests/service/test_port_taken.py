"""A port another program holds: the guard says so as a typed value, keeps saying it,
stops cleanly, and listens on another port when asked."""

from __future__ import annotations

import gc
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bccguard.adapters.demo_sink import free_port
from bccguard.core.settings import LOOPBACK_HOST, ProxySettings, Settings
from bccguard.events import GuardState
from bccguard.service import Guard
from bccguard.service.errors import GuardStartError, ListenFailure, ListenProblem
from tests.support import EventLog, MemorySecrets


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 another program listens on."""
    with socket.socket() as other:
        other.bind((LOOPBACK_HOST, 0))
        other.listen()
        yield int(other.getsockname()[1])


def failed_guard(home: Path, port: int) -> tuple[Guard, GuardStartError]:
    guard = Guard(
        home, Settings(proxy=ProxySettings(port=port)), MemorySecrets(), EventLog()
    )
    with pytest.raises(GuardStartError) as caught:
        guard.start()
    return guard, caught.value


def test_a_taken_port_is_a_typed_failure(tmp_path: Path, taken_port: int) -> None:
    guard, error = failed_guard(tmp_path, taken_port)
    try:
        assert error.failure == ListenFailure(taken_port, ListenProblem.PORT_TAKEN)
        assert guard.listen_failure == error.failure
        assert guard.state is GuardState.ERROR
        assert not guard.listening
    finally:
        guard.stop()


def test_the_sentence_is_plain_and_translatable(taken_port: int) -> None:
    sentence = ListenFailure(taken_port, ListenProblem.PORT_TAKEN).sentence
    assert sentence == (
        f"Another program already uses port {taken_port} on this computer, so mail "
        "programs cannot reach BccGuard."
    )
    assert "{port}" in sentence.template  # a Phrase: the catalogue has the template


def test_a_guard_that_failed_to_start_stops_without_a_warning(
    tmp_path: Path, taken_port: int
) -> None:
    guard, _error = failed_guard(tmp_path, taken_port)
    guard.stop()
    gc.collect()  # a coroutine never awaited warns when it is collected
    assert guard.state is GuardState.STOPPED


def test_the_state_stays_an_error_while_not_listening(
    tmp_path: Path, taken_port: int
) -> None:
    guard, _error = failed_guard(tmp_path, taken_port)
    try:
        guard.pause(0)  # any refresh of the state
        assert guard.state is GuardState.ERROR
    finally:
        guard.stop()


def test_another_port_makes_it_guard(tmp_path: Path, taken_port: int) -> None:
    guard, _error = failed_guard(tmp_path, taken_port)
    port = free_port()
    try:
        guard.listen_on(port)
        assert guard.listening
        assert guard.proxy.port == port
        assert guard.listen_failure is None
        assert guard.state is GuardState.GUARDING
        with socket.create_connection((LOOPBACK_HOST, port), timeout=10) as client:
            assert client.recv(100).startswith(b"220")
    finally:
        guard.stop()


def test_another_taken_port_fails_again(tmp_path: Path, taken_port: int) -> None:
    guard, _error = failed_guard(tmp_path, taken_port)
    try:
        with pytest.raises(GuardStartError) as again:
            guard.listen_on(taken_port)
        assert again.value.failure.port == taken_port
        assert guard.state is GuardState.ERROR
    finally:
        guard.stop()
