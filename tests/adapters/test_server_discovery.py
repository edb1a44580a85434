# ruff: noqa: F811  (the peers are fixtures imported from tests.discovery_peers)
"""Discovery against real peers: autoconfig from a local HTTPS server, SRV and MX
from a local DNS server, in the issue's order."""

from __future__ import annotations

import pytest

from bccguard.adapters.autoconfig import Autoconfig, AutoconfigError
from bccguard.adapters.dns_discovery import DnsDiscovery, DnsLookupError
from bccguard.adapters.server_discovery import ServerDiscovery
from bccguard.core.discovery import Auth, Server, Source
from tests.discovery_peers import (  # noqa: F401
    AutoconfigServer,
    DnsServer,
    autoconfig_server,
    autoconfig_xml,
    discovery_ca,
    dns_server,
)

EMAIL = "anna@corp.example"


def everything(autoconfig: AutoconfigServer, dns: DnsServer) -> ServerDiscovery:
    lookup = DnsDiscovery(dns.resolver(), timeout=3)
    return ServerDiscovery(autoconfig.autoconfig(), lookup.srv, lookup.mx)


def test_autoconfig_at_the_autoconfig_host_comes_first(
    autoconfig_server: AutoconfigServer, dns_server: DnsServer
) -> None:
    autoconfig_server.serve(
        "corp.example",
        autoconfig_xml(
            ("smtp.corp.example", 465, "SSL"), ("imap.corp.example", 993, "SSL")
        ),
    )
    dns_server.add("_submission._tcp.corp.example", "SRV", "0 1 587 srv.corp.example.")
    found = everything(autoconfig_server, dns_server).discover(EMAIL)
    servers = found.servers
    assert servers is not None
    assert servers.source is Source.AUTOCONFIG
    assert servers.smtp == Server("smtp.corp.example", 465, "implicit", EMAIL)
    assert servers.imap == Server("imap.corp.example", 993, "implicit", EMAIL)
    assert servers.origin.startswith(
        autoconfig_server.base + "/autoconfig.corp.example/"
    )
    assert "emailaddress=anna@corp.example" in autoconfig_server.requests[0]
    assert servers.help_url == "https://help.test.example/mail"
    assert not servers.needs_confirmation
    assert dns_server.questions == []  # never got that far


def test_the_well_known_url_is_asked_when_the_autoconfig_host_has_nothing(
    autoconfig_server: AutoconfigServer,
) -> None:
    autoconfig_server.serve(
        "corp.example",
        autoconfig_xml(("mail.corp.example", 587, "STARTTLS"), None, username="anna"),
        well_known=True,
    )
    servers = autoconfig_server.autoconfig()(EMAIL)
    assert servers is not None
    assert servers.smtp == Server("mail.corp.example", 587, "starttls", "anna")
    assert servers.imap is None
    assert len(autoconfig_server.requests) == 2


def test_plain_servers_on_a_network_are_skipped_for_the_tls_one(
    autoconfig_server: AutoconfigServer,
) -> None:
    plain = (
        '<outgoingServer type="smtp"><hostname>smtp.corp.example</hostname>'
        "<port>25</port><socketType>plain</socketType></outgoingServer>"
    )
    autoconfig_server.serve(
        "corp.example",
        autoconfig_xml(("smtp.corp.example", 465, "SSL"), extra_smtp=plain),
    )
    servers = autoconfig_server.autoconfig()(EMAIL)
    assert servers is not None
    assert (servers.smtp.port, servers.smtp.tls) == (465, "implicit")


def test_oauth2_only_servers_say_whose_oauth2(
    autoconfig_server: AutoconfigServer,
) -> None:
    autoconfig_server.serve(
        "corp.example",
        autoconfig_xml(
            ("smtp.office365.com", 587, "STARTTLS"),
            ("outlook.office365.com", 993, "SSL"),
            auth="OAuth2",
        ),
    )
    servers = autoconfig_server.autoconfig()(EMAIL)
    assert servers is not None and servers.auth is Auth.OAUTH2_MICROSOFT


def test_a_certificate_not_trusted_is_not_believed(
    autoconfig_server: AutoconfigServer,
) -> None:
    autoconfig_server.serve(
        "corp.example", autoconfig_xml(("smtp.corp.example", 465, "SSL"))
    )
    stranger = Autoconfig(urls=autoconfig_server.urls(), ca_file=None, timeout=5)
    with pytest.raises(AutoconfigError, match="CERTIFICATE_VERIFY_FAILED"):
        stranger(EMAIL)


def test_an_xml_bomb_is_refused(autoconfig_server: AutoconfigServer) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<clientConfig>&lol2;</clientConfig>"
    )
    autoconfig_server.serve("corp.example", bomb)
    with pytest.raises(AutoconfigError, match="not a readable autoconfig file"):
        autoconfig_server.autoconfig()(EMAIL)


def test_srv_records_when_there_is_no_autoconfig(
    autoconfig_server: AutoconfigServer, dns_server: DnsServer
) -> None:
    dns_server.add(
        "_submission._tcp.corp.example",
        "SRV",
        "10 1 587 backup.mailhost.example.",
        "0 1 587 mail.mailhost.example.",
    )
    dns_server.add("_imaps._tcp.corp.example", "SRV", "0 1 993 imap.corp.example.")
    dns_server.add("_imap._tcp.corp.example", "SRV", "0 1 143 imap.corp.example.")
    found = everything(autoconfig_server, dns_server).discover(EMAIL)
    servers = found.servers
    assert servers is not None
    assert [a.source for a in found.attempts] == ["autoconfig", "srv"]
    assert "HTTP 404" in found.attempts[0].outcome
    assert servers.source is Source.SRV
    assert servers.smtp == Server("mail.mailhost.example", 587, "starttls")
    assert servers.imap == Server("imap.corp.example", 993, "implicit")
    # Not authenticated, and the SMTP server is someone else's: the user confirms.
    assert servers.outside_domain() == ("mail.mailhost.example",)
    assert servers.needs_confirmation


def test_submissions_is_preferred_and_a_dot_means_not_offered(
    dns_server: DnsServer,
) -> None:
    dns_server.add("_submissions._tcp.corp.example", "SRV", "0 0 0 .")
    dns_server.add("_submission._tcp.corp.example", "SRV", "0 1 587 mail.corp.example.")
    servers = DnsDiscovery(dns_server.resolver()).srv(EMAIL)
    assert servers is not None
    assert servers.smtp == Server("mail.corp.example", 587, "starttls")
    dns_server.add(
        "_submissions._tcp.corp.example", "SRV", "0 1 465 mail.corp.example."
    )
    servers = DnsDiscovery(dns_server.resolver()).srv(EMAIL)
    assert servers is not None
    assert servers.smtp == Server("mail.corp.example", 465, "implicit")
    assert not servers.needs_confirmation  # in the address's own domain


def test_the_provider_behind_the_mx_comes_last(
    autoconfig_server: AutoconfigServer, dns_server: DnsServer
) -> None:
    dns_server.add(
        "corp.example",
        "MX",
        "20 alt1.aspmx.l.google.com.",
        "10 aspmx.l.google.com.",
    )
    found = everything(autoconfig_server, dns_server).discover(EMAIL)
    servers = found.servers
    assert servers is not None
    assert [a.source for a in found.attempts] == ["autoconfig", "srv", "mx"]
    assert servers.source is Source.MX
    assert servers.origin == "MX aspmx.l.google.com (Gmail)"
    assert servers.smtp.host == "smtp.gmail.com"
    assert servers.to_json()["auth"] == "oauth2-google"
    assert servers.needs_confirmation


def test_nothing_found_says_what_was_tried(
    autoconfig_server: AutoconfigServer, dns_server: DnsServer
) -> None:
    dns_server.add("corp.example", "MX", "10 mx.corp.example.")
    found = everything(autoconfig_server, dns_server).discover(EMAIL)
    assert found.servers is None
    assert [(a.source, a.outcome) for a in found.attempts][1:] == [
        ("srv", "nothing"),
        ("mx", "nothing"),
    ]


def test_a_dns_server_that_does_not_answer_is_a_failure_not_nothing() -> None:
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = 9  # discard: nothing answers
    with pytest.raises(DnsLookupError):
        DnsDiscovery(resolver, timeout=0.5).srv(EMAIL)


def test_a_redirect_is_followed_only_to_https(
    autoconfig_server: AutoconfigServer,
) -> None:
    first = "/autoconfig.corp.example/mail/config-v1.1.xml"
    autoconfig_server.files["/elsewhere.xml"] = autoconfig_xml(
        ("smtp.corp.example", 465, "SSL")
    )
    autoconfig_server.redirects[first] = autoconfig_server.base + "/elsewhere.xml"
    servers = autoconfig_server.autoconfig()(EMAIL)
    assert servers is not None and servers.smtp.host == "smtp.corp.example"
    plain = f"http://127.0.0.1:{autoconfig_server.port}/elsewhere.xml"
    autoconfig_server.redirects[first] = plain
    with pytest.raises(AutoconfigError, match="redirect to a non-HTTPS URL"):
        autoconfig_server.autoconfig()(EMAIL)
