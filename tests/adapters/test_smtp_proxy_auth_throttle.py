"""Wrong passwords at the proxy: answered later each time on a connection, capped over
all connections, logged once per burst; the right password still gets in at once."""

from __future__ import annotations

import base64
import logging
import smtplib
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bccguard.adapters import smtp_proxy
from bccguard.adapters.demo_sink import free_port
from bccguard.adapters.smtp_proxy import AuthLimits, SmtpProxy, Submission

SECRET = "the-local-secret"
WRONG = "a-wrong-password"
# sleep() may wake a clock tick early; the bounds allow for that, nothing more.
TICK = 0.005


class Secret:
    """The secret callable, counting how often a password is checked."""

    def __init__(self) -> None:
        self.checks = 0
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            self.checks += 1
        return SECRET


async def accept(submission: Submission) -> str:
    return "250 2.0.0 OK"


ProxyFactory = Callable[[AuthLimits], tuple[SmtpProxy, Secret]]


@pytest.fixture
def start_proxy() -> Iterator[ProxyFactory]:
    started: list[SmtpProxy] = []

    def start(limits: AuthLimits) -> tuple[SmtpProxy, Secret]:
        secret = Secret()
        proxy = SmtpProxy(
            accept,
            secret,
            port=free_port(),
            max_message_size=1_000_000,
            auth_limits=limits,
        )
        proxy.start()
        started.append(proxy)
        return proxy, secret

    yield start
    for proxy in started:
        proxy.stop()


def connect(proxy: SmtpProxy) -> smtplib.SMTP:
    conn = smtplib.SMTP("127.0.0.1", proxy.port, timeout=30)
    conn.ehlo("client.example")
    return conn


def auth(conn: smtplib.SMTP, password: str, mechanism: str = "PLAIN") -> int:
    """One AUTH command (smtplib's login() would try every mechanism in turn)."""
    conn.user, conn.password = "user", password
    method = conn.auth_plain if mechanism == "PLAIN" else conn.auth_login
    try:
        code, _ = conn.auth(mechanism, method)
    except smtplib.SMTPAuthenticationError as refused:
        return refused.smtp_code
    return code


def test_the_defaults_are_the_module_constants() -> None:
    limits = AuthLimits()
    assert limits.first_delay == smtp_proxy.AUTH_FIRST_DELAY == 0.5
    assert limits.max_delay == smtp_proxy.AUTH_MAX_DELAY
    assert limits.failures_per_window == smtp_proxy.AUTH_FAILURES_PER_WINDOW
    assert limits.window == smtp_proxy.AUTH_WINDOW == 60
    assert [limits.delay(n) for n in range(7)] == [0, 0.5, 1, 2, 4, 8, 8]
    assert limits.delay(10_000) == limits.max_delay  # no float overflow


def test_wrong_passwords_on_one_connection_are_answered_later_each_time(
    start_proxy: ProxyFactory,
) -> None:
    limits = AuthLimits(first_delay=0.05, max_delay=0.2, failures_per_window=100)
    proxy, _ = start_proxy(limits)
    conn = connect(proxy)
    took = []
    for n, mechanism in enumerate(["PLAIN", "LOGIN", "PLAIN", "LOGIN", "PLAIN"], 1):
        start = time.monotonic()
        assert auth(conn, WRONG, mechanism) == 535
        took.append(time.monotonic() - start)
        assert took[-1] >= limits.delay(n) - TICK, (n, took)
    # It grows, up to the cap: 0.05, 0.1, 0.2, 0.2, 0.2 here.
    assert limits.delay(1) < limits.delay(2) < limits.delay(3) == limits.max_delay
    assert sum(took) >= sum(limits.delay(n) for n in range(1, 6)) - TICK
    # The right password is not made to wait, even on this connection.
    start = time.monotonic()
    assert auth(conn, SECRET) == 235
    assert time.monotonic() - start < limits.first_delay
    conn.quit()


def test_the_delay_does_not_hold_up_other_connections(
    start_proxy: ProxyFactory,
) -> None:
    limits = AuthLimits(first_delay=2.0, max_delay=2.0, failures_per_window=100)
    proxy, _ = start_proxy(limits)
    slow = connect(proxy)
    token = base64.b64encode(f"\0user\0{WRONG}".encode()).decode()
    slow.putcmd("AUTH", f"PLAIN {token}")
    time.sleep(0.2)  # the proxy is now waiting before it answers `slow`

    start = time.monotonic()
    other = connect(proxy)
    assert auth(other, SECRET) == 235
    other.quit()
    assert time.monotonic() - start < 1.0  # the event loop was free
    assert slow.getreply()[0] == 535
    slow.close()


def test_the_right_password_works_at_once_on_a_new_connection(
    start_proxy: ProxyFactory,
) -> None:
    limits = AuthLimits(first_delay=0.5, max_delay=0.5, failures_per_window=30)
    proxy, _ = start_proxy(limits)
    conn = connect(proxy)
    for _ in range(2):  # a user trying old passwords, well under the cap
        assert auth(conn, WRONG) == 535
    conn.close()

    start = time.monotonic()
    fresh = connect(proxy)
    assert auth(fresh, SECRET) == 235
    assert time.monotonic() - start < limits.first_delay
    fresh.quit()


def test_past_the_cap_auth_is_refused_unchecked_until_the_window_ends(
    start_proxy: ProxyFactory,
) -> None:
    limits = AuthLimits(
        first_delay=0.01, max_delay=0.01, failures_per_window=3, window=2.0
    )
    proxy, secret = start_proxy(limits)
    opened = time.monotonic()
    for _ in range(limits.failures_per_window):  # one connection each: no delay
        conn = connect(proxy)
        assert auth(conn, WRONG) == 535
        conn.close()
    checks = secret.checks

    conn = connect(proxy)
    conn.user, conn.password = "user", SECRET
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        conn.auth("PLAIN", conn.auth_plain)
    assert refused.value.smtp_code == 454
    assert refused.value.smtp_error.startswith(b"4.7.0 ")
    assert b"wait a minute" in refused.value.smtp_error
    assert auth(conn, WRONG, "LOGIN") == 454
    assert secret.checks == checks  # refused without looking at the password
    conn.close()

    time.sleep(max(0.0, opened + limits.window - time.monotonic()) + 0.1)
    after = connect(proxy)
    assert auth(after, SECRET) == 235
    after.quit()


def test_a_burst_of_wrong_passwords_is_logged_once_and_summed_up(
    start_proxy: ProxyFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=smtp_proxy.__name__)
    limits = AuthLimits(
        first_delay=0.01, max_delay=0.02, failures_per_window=5, window=2.0
    )
    proxy, _ = start_proxy(limits)
    opened = time.monotonic()
    conn = connect(proxy)
    for _ in range(4):
        assert auth(conn, WRONG) == 535
    conn.close()
    for expected in (535, 454, 454):  # new connections: one more, then the cap
        conn = connect(proxy)
        assert auth(conn, WRONG) == expected
        conn.close()

    def lines() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == smtp_proxy.__name__ and "AUTH" in r.getMessage()
        ]

    assert len(lines()) == 1
    assert lines()[0].startswith("proxy: failed AUTH PLAIN from ('127.0.0.1', ")

    time.sleep(max(0.0, opened + limits.window - time.monotonic()) + 0.3)
    _, summary = lines()
    assert summary == (
        "proxy: 6 more failed AUTH attempts in the last 2 s "
        "(2 refused unchecked after 5 wrong passwords)"
    )


def test_a_burst_still_open_is_summed_up_when_the_proxy_stops(
    start_proxy: ProxyFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=smtp_proxy.__name__)
    proxy, _ = start_proxy(AuthLimits(first_delay=0.01, max_delay=0.01))
    conn = connect(proxy)
    for _ in range(3):
        assert auth(conn, WRONG) == 535
    conn.close()
    proxy.stop()

    messages = [r.getMessage() for r in caplog.records if "AUTH" in r.getMessage()]
    assert len(messages) == 2
    assert messages[1] == "proxy: 2 more failed AUTH attempts in the last minute"
