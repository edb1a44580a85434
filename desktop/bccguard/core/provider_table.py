"""The bundled table of big mail providers: servers, sign-in, and where it is written.

Every entry names the provider's own help page (``help_url``) that its facts are
to be checked against; a reviewer should open it when changing an entry. No
network is needed to answer for an address at one of these domains.
"""

from __future__ import annotations

from dataclasses import dataclass

from bccguard.core.discovery import Auth, MailServers, Server, Source, domain_of


@dataclass(frozen=True, slots=True)
class Provider:
    """One provider's published settings for mail programs."""

    key: str  # stable id, shown in `origin` ("bundled:gmail")
    name: str
    domains: tuple[str, ...]  # address domains the provider hosts itself
    mx_suffixes: tuple[str, ...]  # MX host names that mean "hosted here"
    smtp: Server
    imap: Server
    help_url: str
    auth: Auth = Auth.PASSWORD
    app_password_url: str = ""
    app_password_required: bool = False
    limits: str = "other"
    notes: tuple[str, ...] = ()

    def servers(self, email: str, source: Source = Source.BUNDLED) -> MailServers:
        """This provider's servers for ``email``."""
        origin = f"bundled:{self.key}" if source is Source.BUNDLED else self.key
        return MailServers(
            email=email,
            smtp=self.smtp,
            imap=self.imap,
            source=source,
            origin=origin,
            auth=self.auth,
            provider=self.key,
            display_name=self.name,
            limits=self.limits,
            app_password_url=self.app_password_url,
            help_url=self.help_url,
            app_password_required=self.app_password_required,
            notes=self.notes,
        )


_GMAIL = Provider(
    key="gmail",
    name="Gmail",
    domains=("gmail.com", "googlemail.com"),
    mx_suffixes=("google.com", "googlemail.com"),
    smtp=Server("smtp.gmail.com", 465, "implicit"),
    imap=Server("imap.gmail.com", 993, "implicit"),
    help_url="https://support.google.com/mail/answer/7126229",
    auth=Auth.OAUTH2_GOOGLE,
    # With 2-Step Verification on, an app password signs in instead of OAuth2.
    app_password_url="https://myaccount.google.com/apppasswords",
    limits="gmail",
)
_OUTLOOK = Provider(
    key="outlook",
    name="Outlook.com",
    domains=(
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "outlook.it",
        "hotmail.it",
        "live.it",
    ),
    mx_suffixes=(),  # consumer MX also ends in protection.outlook.com: see _M365
    smtp=Server("smtp-mail.outlook.com", 587, "starttls"),
    imap=Server("outlook.office365.com", 993, "implicit"),
    help_url="https://support.microsoft.com/office/d088b986-291d-42b8-9564-9c414e2aa040",
    auth=Auth.OAUTH2_MICROSOFT,
    limits="microsoft365",
)
_M365 = Provider(
    key="microsoft365",
    name="Microsoft 365",
    domains=(),  # organisations' own domains, found by their MX
    mx_suffixes=("protection.outlook.com",),
    smtp=Server("smtp.office365.com", 587, "starttls"),
    imap=Server("outlook.office365.com", 993, "implicit"),
    help_url="https://support.microsoft.com/office/8361e398-8af4-4e97-b147-6c6c4ac95353",
    auth=Auth.OAUTH2_MICROSOFT,
    limits="microsoft365",
)
_ICLOUD = Provider(
    key="icloud",
    name="iCloud Mail",
    domains=("icloud.com", "me.com", "mac.com"),
    mx_suffixes=("mail.icloud.com",),
    smtp=Server("smtp.mail.me.com", 587, "starttls"),
    imap=Server("imap.mail.me.com", 993, "implicit"),
    help_url="https://support.apple.com/102525",
    app_password_url="https://account.apple.com/account/manage",
    app_password_required=True,
)
_YAHOO = Provider(
    key="yahoo",
    name="Yahoo Mail",
    domains=("yahoo.com", "yahoo.it", "yahoo.co.uk", "ymail.com", "rocketmail.com"),
    mx_suffixes=("yahoodns.net",),
    smtp=Server("smtp.mail.yahoo.com", 465, "implicit"),
    imap=Server("imap.mail.yahoo.com", 993, "implicit"),
    help_url="https://help.yahoo.com/kb/SLN4075.html",
    app_password_url="https://login.yahoo.com/account/security",
    app_password_required=True,
)
_GMX = Provider(
    key="gmx",
    name="GMX",
    domains=("gmx.net", "gmx.de", "gmx.at", "gmx.ch"),
    mx_suffixes=("gmx.net",),
    smtp=Server("mail.gmx.net", 587, "starttls"),
    imap=Server("imap.gmx.net", 993, "implicit"),
    help_url="https://hilfe.gmx.net/pop-imap/imap/imap-serverdaten.html",
    notes=("IMAP access must be switched on in GMX's web mail settings first.",),
)
_LIBERO = Provider(
    key="libero",
    name="Libero Mail",
    domains=("libero.it", "inwind.it", "iol.it", "blu.it"),
    mx_suffixes=("libero.it",),
    smtp=Server("smtp.libero.it", 465, "implicit"),
    imap=Server("imapmail.libero.it", 993, "implicit"),
    help_url="https://aiuto.libero.it/articolo/mail/parametri-di-configurazione-di-libero-mail/",
)
_ARUBA = Provider(
    key="aruba",
    name="Aruba",
    domains=("aruba.it",),
    mx_suffixes=("aruba.it",),
    smtp=Server("smtps.aruba.it", 465, "implicit"),
    imap=Server("imaps.aruba.it", 993, "implicit"),
    help_url="https://guide.hosting.aruba.it/email/configurazione-client-di-posta/",
)
_VIRGILIO = Provider(
    key="virgilio",
    name="Virgilio Mail",
    domains=("virgilio.it",),
    mx_suffixes=("virgilio.it",),
    smtp=Server("out.virgilio.it", 465, "implicit"),
    imap=Server("in.virgilio.it", 993, "implicit"),
    help_url="https://aiuto.virgilio.it/mail/",
)
_TISCALI = Provider(
    key="tiscali",
    name="Tiscali Mail",
    domains=("tiscali.it",),
    mx_suffixes=("tiscali.it",),
    smtp=Server("smtp.tiscali.it", 465, "implicit"),
    imap=Server("imap.tiscali.it", 993, "implicit"),
    help_url="https://assistenza.tiscali.it/posta/",
)

PROVIDERS: tuple[Provider, ...] = (
    _GMAIL,
    _OUTLOOK,
    _M365,
    _ICLOUD,
    _YAHOO,
    _GMX,
    _LIBERO,
    _ARUBA,
    _VIRGILIO,
    _TISCALI,
)


def provider_for_domain(domain: str) -> Provider | None:
    """The provider that hosts addresses at ``domain`` itself, if bundled."""
    domain = domain.lower().rstrip(".")
    return next((p for p in PROVIDERS if domain in p.domains), None)


def provider_for_mx(host: str) -> Provider | None:
    """The provider whose mail exchanger ``host`` is (``aspmx.l.google.com``)."""
    name = host.lower().rstrip(".")
    for provider in PROVIDERS:
        for suffix in provider.mx_suffixes:
            if name == suffix or name.endswith("." + suffix):
                return provider
    return None


def bundled_servers(email: str) -> MailServers | None:
    """The table's answer for ``email``, without any network; None if unknown."""
    provider = provider_for_domain(domain_of(email))
    return provider.servers(email) if provider else None
