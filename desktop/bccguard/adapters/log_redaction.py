"""A logging filter that keeps passwords, tokens and AUTH exchanges out of logs."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "********"

# RFC 4954 §4: "AUTH <mechanism> [initial-response]"; the response is base64
# carrying the password or token, so everything after the mechanism goes.
_AUTH_LINE = re.compile(r"(?i)\b(AUTH\s+[A-Z0-9_-]+)[ \t]+\S+")
_MAX_SECRETS = 64


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask AUTH arguments and the given secrets in a piece of text.

    Args:
        text: Any text that may end up in a log or an error message.
        secrets: Literal values to mask wherever they appear.

    Returns:
        The text with every secret and AUTH argument replaced by a mask.
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return _AUTH_LINE.sub(rf"\1 {MASK}", text)


class SecretRedactingFilter(logging.Filter):
    """Rewrite log records so that no secret survives formatting.

    Attach it to a logger (records logged there) or to a handler (every record
    it emits). It never drops a record, it only masks.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        """Start with an optional set of secrets to mask.

        Args:
            secrets: Literal values (passwords, tokens) to mask.
        """
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: dict[str, None] = {}
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str) -> None:
        """Mask this value from now on; the oldest values age out after 64.

        Args:
            secret: A password or token; empty strings are ignored.
        """
        if not secret:
            return
        with self._lock:
            self._secrets.pop(secret, None)
            self._secrets[secret] = None
            while len(self._secrets) > _MAX_SECRETS:
                del self._secrets[next(iter(self._secrets))]

    def redact(self, text: str) -> str:
        """Mask AUTH arguments and every known secret in a text.

        Args:
            text: The text to clean.

        Returns:
            The cleaned text.
        """
        with self._lock:
            secrets = tuple(self._secrets)
        return redact(text, secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message, traceback and stack with masked text.

        Args:
            record: The record about to be emitted.

        Returns:
            Always True: the record is kept.
        """
        try:
            message = record.getMessage()
        except Exception:  # a broken format string; its arguments may hold secrets
            message = f"{record.msg!s} (arguments dropped: they did not format)"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True
