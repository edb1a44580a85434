"""RFC 2047 encoded-words: decoded for display, and decoded as a reader sees them.

A mail program shows ``=?utf-8?Q?a=40b.example?=`` as ``a@b.example``, wherever the
word stands: in a display name, a comment, a group name, even alone. The check must
see the same text, so :func:`shown_text` decodes every encoded-word on its own (a
word that does not decode stays as written) and folds compatibility forms (NFKC:
a full-width ``＠`` is an ``@`` to the eye). ``plugin/modules/address_list.js`` has
the same function; keep the two in step.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from email.errors import HeaderParseError
from email.header import decode_header, make_header

ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
# RFC 2047 §6.2: white space between two encoded-words is not shown.
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(?==\?)")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*")
_Q_ESCAPE = re.compile(r"=([0-9A-Fa-f]{2})")


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words; text that fails to decode stays as written."""
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError, HeaderParseError):
        return text


def _base64_bytes(data: str) -> bytes:
    """WHATWG forgiving-base64 (what ``atob`` does in the plugin).

    Raises:
        ValueError: ``data`` is not base64.
    """
    if len(data) % 4 == 0:
        data = data[:-2] if data.endswith("==") else data.removesuffix("=")
    if len(data) % 4 == 1 or not _BASE64.fullmatch(data):
        raise ValueError("not base64")
    return base64.b64decode(data + "=" * (-len(data) % 4))


def _q_bytes(data: str) -> bytes:
    """RFC 2047 §4.2: "_" is a space, "=XX" a byte, anything else itself."""
    text = _Q_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), data.replace("_", " "))
    return text.encode("latin-1")


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, data = match.groups()
    if not data.isascii():
        return match.group()
    try:
        raw = _base64_bytes(data) if encoding in "Bb" else _q_bytes(data)
        return raw.decode(charset.split("*")[0])  # RFC 2231 §5: charset*language
    except (ValueError, LookupError, UnicodeError, binascii.Error):
        return match.group()


def shown_text(text: str) -> str:
    """``text`` as a reader sees it: every encoded-word decoded, then NFKC."""
    if "=?" in text:
        text = ENCODED_WORD.sub(_decode_word, _BETWEEN_WORDS.sub(r"\1", text))
    return text if text.isascii() else unicodedata.normalize("NFKC", text)
