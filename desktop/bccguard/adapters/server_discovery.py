"""Finding an address's mail servers: autoconfig, the bundled table, SRV, then MX.

The order is the issue's, with one exception: a domain the bundled table lists by
name (gmail.com, libero.it, …) is answered from the table at once, without the
network. Those providers publish no autoconfig of their own, so asking would only
cost time (and fail offline); their facts come from their own help pages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bccguard.core.discovery import MailServers, domain_of
from bccguard.core.provider_table import bundled_servers

_log = logging.getLogger(__name__)


class LookupFailedError(Exception):
    """One way of looking failed; the message says what was tried and why."""


# One way of looking: the servers for an address, None when there is no answer;
# raises LookupFailedError (or a subclass) when asking failed.
Lookup = Callable[[str], MailServers | None]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One way of looking, and what it gave."""

    source: str
    outcome: str  # "found", "nothing" or why it failed


@dataclass(frozen=True, slots=True)
class Discovery:
    """What was found for an address (``servers`` None: nothing) and how."""

    email: str
    servers: MailServers | None
    attempts: tuple[Attempt, ...]


@dataclass(frozen=True, slots=True)
class ServerDiscovery:
    """The ways of looking, in order; tests hand in ones pointed at local peers.

    Args:
        autoconfig: the domain's autoconfig over HTTPS.
        srv: RFC 6186 / RFC 8314 SRV records.
        mx: the provider behind the domain's MX.
    """

    autoconfig: Lookup | None = None
    srv: Lookup | None = None
    mx: Lookup | None = None

    def discover(self, email: str) -> Discovery:
        """Look in order until one way answers.

        Raises:
            DiscoveryError: when ``email`` is not an address.
        """
        domain_of(email)  # an address first
        bundled = bundled_servers(email)
        if bundled is not None:
            return Discovery(email, bundled, (Attempt("bundled", "found"),))
        attempts: list[Attempt] = []
        ways: Sequence[tuple[str, Lookup | None]] = (
            ("autoconfig", self.autoconfig),
            ("srv", self.srv),
            ("mx", self.mx),
        )
        for name, way in ways:
            if way is None:
                continue
            try:
                found = way(email)
            except LookupFailedError as error:
                _log.info("discovery %s for %s: %s", name, domain_of(email), error)
                attempts.append(Attempt(name, str(error)))
                continue
            attempts.append(Attempt(name, "found" if found else "nothing"))
            if found is not None:
                return Discovery(email, found, tuple(attempts))
        return Discovery(email, None, tuple(attempts))


def offline() -> ServerDiscovery:
    """Only the bundled table."""
    return ServerDiscovery()


def online(ca_file: str | None = None) -> ServerDiscovery:
    """Every way: the domain's autoconfig, the table, SRV and MX from the system's
    resolver."""
    from bccguard.adapters.autoconfig import Autoconfig  # noqa: PLC0415
    from bccguard.adapters.dns_discovery import DnsDiscovery  # noqa: PLC0415

    dns = DnsDiscovery()
    return ServerDiscovery(Autoconfig(ca_file=ca_file), dns.srv, dns.mx)
