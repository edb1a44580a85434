"""The bundled provider table answers from facts alone, and every entry says where
its facts are written."""

from __future__ import annotations

import pytest

from bccguard.core.discovery import Auth, DiscoveryError, Source, domain_of
from bccguard.core.provider_table import (
    PROVIDERS,
    bundled_servers,
    provider_for_domain,
    provider_for_mx,
)
from bccguard.core.settings import account_from_mapping


@pytest.mark.parametrize(
    ("email", "smtp", "imap", "auth"),
    [
        (
            "a@gmail.com",
            ("smtp.gmail.com", 465, "implicit"),
            "imap.gmail.com",
            "oauth2-google",
        ),
        (
            "a@hotmail.it",
            ("smtp-mail.outlook.com", 587, "starttls"),
            "outlook.office365.com",
            "oauth2-microsoft",
        ),
        (
            "a@icloud.com",
            ("smtp.mail.me.com", 587, "starttls"),
            "imap.mail.me.com",
            "password",
        ),
        (
            "a@yahoo.it",
            ("smtp.mail.yahoo.com", 465, "implicit"),
            "imap.mail.yahoo.com",
            "password",
        ),
        ("a@gmx.de", ("mail.gmx.net", 587, "starttls"), "imap.gmx.net", "password"),
        (
            "a@LIBERO.IT",
            ("smtp.libero.it", 465, "implicit"),
            "imapmail.libero.it",
            "password",
        ),
        (
            "a@aruba.it",
            ("smtps.aruba.it", 465, "implicit"),
            "imaps.aruba.it",
            "password",
        ),
        (
            "a@virgilio.it",
            ("out.virgilio.it", 465, "implicit"),
            "in.virgilio.it",
            "password",
        ),
        (
            "a@tiscali.it",
            ("smtp.tiscali.it", 465, "implicit"),
            "imap.tiscali.it",
            "password",
        ),
    ],
)
def test_a_bundled_domain_gets_its_providers_servers(
    email: str, smtp: tuple[str, int, str], imap: str, auth: str
) -> None:
    found = bundled_servers(email)
    assert found is not None
    assert (found.smtp.host, found.smtp.port, found.smtp.tls) == smtp
    assert found.imap is not None
    assert (found.imap.host, found.imap.port, found.imap.tls) == (imap, 993, "implicit")
    assert found.auth == Auth(auth)
    assert found.source is Source.BUNDLED
    assert not found.needs_confirmation
    # What the table says is an account the settings accept as it is.
    account = account_from_mapping(found.account_values("mine"))
    assert account.smtp_username == email


def test_every_entry_names_the_providers_own_page() -> None:
    for provider in PROVIDERS:
        assert provider.help_url.startswith("https://"), provider.key
        assert provider.smtp.tls != "none" and provider.imap.tls != "none"
        if provider.app_password_required:
            assert provider.app_password_url.startswith("https://"), provider.key


def test_domains_belong_to_one_provider_only() -> None:
    domains = [d for p in PROVIDERS for d in p.domains]
    assert len(domains) == len(set(domains))


def test_an_unknown_domain_is_not_in_the_table() -> None:
    assert bundled_servers("me@corp.example") is None
    assert provider_for_domain("gmail.com.evil.example") is None


@pytest.mark.parametrize(
    ("mx", "key"),
    [
        ("aspmx.l.google.com.", "gmail"),
        ("corp-example.mail.protection.outlook.com", "microsoft365"),
        ("mx01.mail.icloud.com", "icloud"),
        ("mx-eu.mail.am0.yahoodns.net", "yahoo"),
        ("notgoogle.com", None),
        ("google.com.evil.example", None),
    ],
)
def test_an_mx_host_names_its_provider(mx: str, key: str | None) -> None:
    provider = provider_for_mx(mx)
    assert (provider.key if provider else None) == key


def test_servers_found_by_mx_outside_the_domain_need_confirming() -> None:
    provider = provider_for_mx("aspmx.l.google.com")
    assert provider is not None
    found = provider.servers("me@corp.example", Source.MX)
    assert found.outside_domain() == ("smtp.gmail.com", "imap.gmail.com")
    assert found.needs_confirmation


@pytest.mark.parametrize(
    "text", ["nobody", "@x.example", "a@", "a@localhost", "a@b c.d"]
)
def test_a_text_that_is_not_an_address_is_refused(text: str) -> None:
    with pytest.raises(DiscoveryError):
        domain_of(text)
