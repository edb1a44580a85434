"""One decision per message: a "send as is" chosen in Thunderbird, proven to the proxy.

When the Thunderbird plugin's gate lets a message go as it is, it adds the header
``X-BccGuard-Decision`` carrying an HMAC over the visible recipients and the minute,
keyed with a key derived from the install's local secret (the plugin gets the key
from the native host, never the secret). The proxy honours a proof that verifies and
always removes the header before relaying.

Header value: ``v1; as-is; t=<unix minute>; mac=<hex HMAC-SHA256>`` over
``v1|as-is|<unix minute>|<sorted, lower-cased, distinct visible addresses, comma
separated>``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

HEADER = "X-BccGuard-Decision"
MAX_AGE_MINUTES = 15  # a proof older than this is ignored (and the message checked)
_KEY_LABEL = b"bccguard thunderbird decision v1"
_VALUE = re.compile(r"^\s*v1;\s*as-is;\s*t=(\d{1,12});\s*mac=([0-9a-f]{64})\s*$")


def proof_key(local_secret: str) -> bytes:
    """The key the plugin signs with, derived from the local secret."""
    return hmac.new(local_secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def _canonical(addresses: Iterable[str], minute: int) -> bytes:
    people = sorted({a.strip().lower() for a in addresses if a.strip()})
    return f"v1|as-is|{minute}|{','.join(people)}".encode()


def make_proof(key: bytes, addresses: Iterable[str], now: float) -> str:
    """The header value proving "send as is" for these visible recipients."""
    minute = int(now // 60)
    mac = hmac.new(key, _canonical(addresses, minute), hashlib.sha256).hexdigest()
    return f"v1; as-is; t={minute}; mac={mac}"


def verify_proof(value: str, key: bytes, addresses: Iterable[str], now: float) -> bool:
    """True when ``value`` proves "send as is" for exactly these recipients, lately."""
    match = _VALUE.match(value)
    if match is None:
        return False
    minute = int(match.group(1))
    if not 0 <= int(now // 60) - minute <= MAX_AGE_MINUTES:
        return False
    expected = hmac.new(key, _canonical(addresses, minute), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(2))
