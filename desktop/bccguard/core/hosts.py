"""Server names and addresses as the user types them, judged without the network."""

from __future__ import annotations

import ipaddress


def _bare(host: str) -> str:
    """``host`` without blanks around it, IPv6 brackets or a final dot, lowercase."""
    return host.strip().strip("[]").rstrip(".").lower()


def is_ip_address(host: str) -> bool:
    """True for an IPv4 or IPv6 address (IPv6 with or without brackets)."""
    try:
        ipaddress.ip_address(_bare(host))
    except ValueError:
        return False
    return True


def is_loopback_host(host: str) -> bool:
    """Tell whether a host name or address stays on this machine.

    Args:
        host: A host name or an IP address (IPv6 with or without brackets).

    Returns:
        True for `localhost` names (RFC 6761 §6.3) and loopback addresses.
    """
    name = _bare(host)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_plain_host(host: str) -> bool:
    """True when ``host`` is a server name or address alone: not a URL
    (``smtp://…``), not ``name:port``, no ``user@``, no blanks inside."""
    text = host.strip()
    if not text or any(c.isspace() for c in text) or "/" in text or "@" in text:
        return False
    return ":" not in text or is_ip_address(text)
