"""Servers from DNS: SRV records (RFC 6186, RFC 8314) and the provider behind the MX.

Neither answer is authenticated here (no DNSSEC validation): the servers found are
marked so, and ones outside the address's domain are shown for confirming.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import dns.exception
import dns.resolver
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.IN.SRV import SRV

from bccguard.adapters.server_discovery import LookupFailedError
from bccguard.core.discovery import MailServers, Server, Source, domain_of
from bccguard.core.provider_table import provider_for_mx

# (service label, TLS) in order of preference: RFC 8314 §5.1 prefers implicit TLS
# (_submissions, _imaps) over STARTTLS (_submission, RFC 6186 §3.1; _imap).
_SMTP_SERVICES = (("_submissions._tcp", "implicit"), ("_submission._tcp", "starttls"))
_IMAP_SERVICES = (("_imaps._tcp", "implicit"), ("_imap._tcp", "starttls"))


class DnsLookupError(LookupFailedError):
    """The DNS server could not be asked (timeout, no server answered)."""


def _default_resolver() -> dns.resolver.Resolver:
    """The system's resolver; without a configuration, one with no servers (its
    questions then fail as DnsLookupError instead of the assistant not opening)."""
    try:
        return dns.resolver.Resolver()
    except dns.resolver.NoResolverConfiguration:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = []
        return resolver


@dataclass(frozen=True, slots=True)
class DnsDiscovery:
    """Ask DNS; ``resolver`` is the system's unless a test points one elsewhere."""

    resolver: dns.resolver.Resolver = field(default_factory=_default_resolver)
    timeout: float = 5.0

    def srv(self, email: str) -> MailServers | None:
        """Servers from SRV records; None without a submission service."""
        domain = domain_of(email)
        smtp, smtp_name = self._service(domain, _SMTP_SERVICES)
        if smtp is None:
            return None
        imap, imap_name = self._service(domain, _IMAP_SERVICES)
        origin = "SRV " + ", ".join(n for n in (smtp_name, imap_name) if n)
        return MailServers(email, smtp, imap, Source.SRV, origin)

    def mx(self, email: str) -> MailServers | None:
        """The bundled provider whose mail exchanger the domain uses, if any."""
        domain = domain_of(email)
        answer = self._query(domain, "MX")
        records = sorted(
            (r for r in answer if isinstance(r, MX)), key=lambda r: r.preference
        )
        for record in records:
            exchange = record.exchange.to_text(omit_final_dot=True)
            provider = provider_for_mx(exchange)
            if provider is not None:
                found = provider.servers(email, Source.MX)
                return replace(found, origin=f"MX {exchange} ({provider.name})")
        return None

    def _service(
        self, domain: str, services: tuple[tuple[str, str], ...]
    ) -> tuple[Server | None, str]:
        for label, tls in services:
            name = f"{label}.{domain}"
            records = [r for r in self._query(name, "SRV") if isinstance(r, SRV)]
            if not records:
                continue
            # RFC 2782: lowest priority first; among equals the heaviest weight.
            best = min(records, key=lambda r: (r.priority, -r.weight))
            target = best.target.to_text(omit_final_dot=True)
            if target in ("", "."):
                continue  # RFC 2782: a target of "." means the service is not offered
            return Server(target, int(best.port), tls), name
        return None, ""

    def _query(self, name: str, rdtype: str) -> list[object]:
        try:
            answer = self.resolver.resolve(
                name, rdtype, lifetime=self.timeout, search=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as error:
            raise DnsLookupError(f"{name} {rdtype}: {error}") from error
        return list(answer)
