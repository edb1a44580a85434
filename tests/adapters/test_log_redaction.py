"""The redaction filter: AUTH lines and known secrets never reach a log."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bccguard.adapters.log_redaction import MASK, SecretRedactingFilter, redact


@pytest.fixture
def redacted_logger() -> Iterator[tuple[logging.Logger, SecretRedactingFilter]]:
    """A logger with a redaction filter, removed after the test."""
    logger = logging.getLogger("tests.redaction")
    redactor = SecretRedactingFilter(["hunter2"])
    logger.addFilter(redactor)
    yield logger, redactor
    logger.removeFilter(redactor)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("send: 'AUTH PLAIN AGFsaWNlAGh1bnRlcjI='", f"send: 'AUTH PLAIN {MASK}"),
        ("auth xoauth2 dXNlcj1h", f"auth xoauth2 {MASK}"),
        ("AUTH LOGIN", "AUTH LOGIN"),
        ("password is hunter2!", f"password is {MASK}!"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text, ["hunter2"]) == expected


def test_filter_masks_arguments_and_tracebacks(
    redacted_logger: tuple[logging.Logger, SecretRedactingFilter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger, redactor = redacted_logger
    redactor.add_secret("ya29.token")
    caplog.set_level(logging.DEBUG, logger="tests.redaction")

    logger.info("login %s with %s", "alice", "hunter2")
    logger.debug("sent %r", "AUTH XOAUTH2 dXNlcj1hbGljZQF")
    try:
        raise RuntimeError("token ya29.token was refused")
    except RuntimeError:
        logger.exception("relay failed")

    text = caplog.text
    assert "hunter2" not in text
    assert "dXNlcj1hbGljZQF" not in text
    assert "ya29.token" not in text
    assert f"login alice with {MASK}" in text
    assert "RuntimeError" in text


def test_unformattable_record_drops_its_arguments(
    redacted_logger: tuple[logging.Logger, SecretRedactingFilter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger, _ = redacted_logger
    caplog.set_level(logging.DEBUG, logger="tests.redaction")

    logger.info("two %s %s", "hunter2")  # noqa: PLE1206 - the broken call is the test

    assert "hunter2" not in caplog.text
    assert "arguments dropped" in caplog.text


def test_old_secrets_age_out() -> None:
    redactor = SecretRedactingFilter()
    for n in range(70):
        redactor.add_secret(f"token-{n:02}")

    assert redactor.redact("token-69 token-00") == f"{MASK} token-00"
