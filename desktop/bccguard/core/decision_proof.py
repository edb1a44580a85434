"""One decision per message: a "send as is" chosen in Thunderbird, proven to the proxy.

When the Thunderbird plugin's gate lets a message go as it is, it adds the header
``X-BccGuard-Decision`` carrying an HMAC over the visible recipients and the minute,
keyed with a key derived from the install's local secret (the plugin gets the key
from the native host, never the secret). The proxy honours a proof that verifies and
always removes the header before relaying.

The plugin also proves a delay it already made the user wait (Undo send in the
compose window): the proxy then does not make the message wait again, while it
still checks the recipients as usual. One header carries every decision made.

Header value: ``v1; <decisions>; t=<unix minute>; mac=<hex HMAC-SHA256>`` over
``v1|<decisions>|<unix minute>|<sorted, lower-cased, distinct visible addresses,
comma separated>``, where ``<decisions>`` is ``as-is``, ``delayed``,
``individually`` or several of them (sorted, comma separated).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

HEADER = "X-BccGuard-Decision"
AS_IS = "as-is"  # "send as is" chosen in Thunderbird: the proxy does not ask again
DELAYED = "delayed"  # Thunderbird waited for an Undo: the proxy does not wait again
# "Send one by one" chosen in Thunderbird: the plugin sends the message converted
# to Bcc (safe wherever it goes), and the proxy sends it one copy per recipient.
INDIVIDUALLY = "individually"
DECISIONS = (AS_IS, DELAYED, INDIVIDUALLY)
MAX_AGE_MINUTES = 15  # a proof older than this is ignored (and the message checked)
_KEY_LABEL = b"bccguard thunderbird decision v1"
_VALUE = re.compile(
    r"^\s*v1;\s*([a-z-]+(?:,[a-z-]+)*);\s*t=(\d{1,12});\s*mac=([0-9a-f]{64})\s*$"
)


class ProofError(ValueError):
    """A proof asked for a decision that does not exist."""


def proof_key(local_secret: str) -> bytes:
    """The key the plugin signs with, derived from the local secret."""
    return hmac.new(local_secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def _decisions_text(decisions: Iterable[str]) -> str:
    chosen = sorted(set(decisions))
    if not chosen or any(d not in DECISIONS for d in chosen):
        raise ProofError(f"decisions must be some of {', '.join(DECISIONS)}")
    return ",".join(chosen)


def _canonical(addresses: Iterable[str], minute: int, decisions: str) -> bytes:
    people = sorted({a.strip().lower() for a in addresses if a.strip()})
    return f"v1|{decisions}|{minute}|{','.join(people)}".encode()


def make_proof(
    key: bytes,
    addresses: Iterable[str],
    now: float,
    decisions: Iterable[str] = (AS_IS,),
) -> str:
    """The header value proving ``decisions`` for these visible recipients.

    Raises:
        ProofError: an unknown decision, or none.
    """
    minute = int(now // 60)
    text = _decisions_text(decisions)
    mac = hmac.new(key, _canonical(addresses, minute, text), hashlib.sha256)
    return f"v1; {text}; t={minute}; mac={mac.hexdigest()}"


def proven_decisions(
    value: str, key: bytes, addresses: Iterable[str], now: float
) -> frozenset[str]:
    """The decisions ``value`` proves for exactly these recipients, lately (none
    when it does not verify)."""
    match = _VALUE.match(value)
    if match is None:
        return frozenset()
    text, minute = match.group(1), int(match.group(2))
    try:
        if _decisions_text(text.split(",")) != text:
            return frozenset()  # only the canonical spelling is ever signed
    except ProofError:
        return frozenset()
    if not 0 <= int(now // 60) - minute <= MAX_AGE_MINUTES:
        return frozenset()
    canonical = _canonical(addresses, minute, text)
    expected = hmac.new(key, canonical, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match.group(3)):
        return frozenset()
    return frozenset(text.split(","))


def verify_proof(value: str, key: bytes, addresses: Iterable[str], now: float) -> bool:
    """True when ``value`` proves "send as is" for exactly these recipients, lately."""
    return AS_IS in proven_decisions(value, key, addresses, now)
