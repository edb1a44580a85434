"""Mail servers found for an address: where they are, how to sign in, who said so."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bccguard.core.hosts import is_loopback_host


class Source(StrEnum):
    """Where a set of servers came from, in the order they are asked."""

    AUTOCONFIG = "autoconfig"  # the domain's own config-v1.1.xml over HTTPS
    BUNDLED = "bundled"  # BccGuard's table of big providers
    SRV = "srv"  # RFC 6186 / RFC 8314 SRV records (not authenticated)
    MX = "mx"  # the provider behind the domain's MX (not authenticated)
    THUNDERBIRD = "thunderbird"  # read from the user's own Thunderbird profile


class Auth(StrEnum):
    """How the account signs in."""

    PASSWORD = "password"
    OAUTH2_GOOGLE = "oauth2-google"
    OAUTH2_MICROSOFT = "oauth2-microsoft"


class DiscoveryError(ValueError):
    """The address cannot be looked up (no domain), or nothing was found."""


@dataclass(frozen=True, slots=True)
class Server:
    """One server: name, port and TLS as the settings spell them."""

    host: str
    port: int
    tls: str  # implicit | starttls | none (loopback only)
    username: str = ""  # empty: the address

    def describe(self) -> str:
        """``host:port (tls)`` for people."""
        return f"{self.host}:{self.port} ({self.tls})"


@dataclass(frozen=True, slots=True)
class MailServers:
    """The outgoing and incoming servers for one address, and their origin.

    ``origin`` says exactly where the answer came from (the URL fetched, the
    DNS records read, the table entry); ``notes`` are what the provider asks of
    the user (an app password, enabling IMAP).
    """

    email: str
    smtp: Server
    imap: Server | None
    source: Source
    origin: str
    auth: Auth = Auth.PASSWORD
    provider: str = ""  # the bundled provider's key, "" when none
    display_name: str = ""
    limits: str = "other"  # the settings' provider preset for recipient limits
    app_password_url: str = ""  # where the provider makes an app password
    help_url: str = ""  # the provider's page these facts are checked against
    app_password_required: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def domain(self) -> str:
        """The address's domain, lowercase."""
        return domain_of(self.email)

    def hosts(self) -> tuple[str, ...]:
        """The server names, outgoing first."""
        names = [self.smtp.host]
        if self.imap is not None and self.imap.host not in names:
            names.append(self.imap.host)
        return tuple(names)

    def outside_domain(self) -> tuple[str, ...]:
        """Servers that are neither in the address's domain nor on this machine."""
        return tuple(
            h
            for h in self.hosts()
            if not in_domain(h, self.domain) and not is_loopback_host(h)
        )

    @property
    def needs_confirmation(self) -> bool:
        """True when the user must confirm the servers before they get a password.

        SRV and MX answers are not authenticated (no DNSSEC check here): anyone
        on the path could answer them, so a server outside the address's own
        domain is shown to the user first. Autoconfig came over verified HTTPS
        from the domain itself, and the bundled table ships with BccGuard.
        """
        return self.source in (Source.SRV, Source.MX) and bool(self.outside_domain())

    def username(self) -> str:
        """The user name to sign in with (the address unless a server says)."""
        return self.smtp.username or self.email

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object of ``account discover``."""
        imap = self.imap
        return {
            "email": self.email,
            "smtp_host": self.smtp.host,
            "smtp_port": self.smtp.port,
            "smtp_tls": self.smtp.tls,
            "imap_host": imap.host if imap else "",
            "imap_port": imap.port if imap else 0,
            "imap_tls": imap.tls if imap else "",
            "username": self.username(),
            "auth": self.auth.value,
            "source": self.source.value,
            "origin": self.origin,
            "provider": self.provider,
            "needs_confirmation": self.needs_confirmation,
            "outside_domain": list(self.outside_domain()),
            "app_password_url": self.app_password_url,
            "help_url": self.help_url,
        }

    def account_values(self, name: str) -> dict[str, Any]:
        """The ``[[accounts]]`` keys for these servers, to validate and save."""
        values: dict[str, Any] = {
            "name": name,
            "email": self.email,
            "smtp_host": self.smtp.host,
            "smtp_port": self.smtp.port,
            "smtp_tls": self.smtp.tls,
            "smtp_username": self.username(),
            "provider": self.limits,
        }
        if self.imap is not None:
            values.update(
                imap_host=self.imap.host,
                imap_port=self.imap.port,
                imap_tls=self.imap.tls,
                imap_username=self.imap.username or self.username(),
            )
        return values


def domain_of(email: str) -> str:
    """The domain of ``email``, lowercase, without a final dot.

    Raises:
        DiscoveryError: when there is no ``local@domain``.
    """
    local, at, domain = email.strip().rpartition("@")
    domain = domain.strip().rstrip(".").lower()
    if not at or not local or not domain or "." not in domain or " " in domain:
        raise DiscoveryError(f"not an e-mail address: {email!r}")
    return domain


def in_domain(host: str, domain: str) -> bool:
    """True when ``host`` is ``domain`` or a name below it."""
    name = host.strip().rstrip(".").lower()
    domain = domain.lower()
    return name == domain or name.endswith("." + domain)


def fill_username(template: str, email: str) -> str:
    """A user name from an autoconfig template (``%EMAILADDRESS%`` and friends)."""
    local, _, domain = email.rpartition("@")
    return (
        template.replace("%EMAILADDRESS%", email)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
    )
