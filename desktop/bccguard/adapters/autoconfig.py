"""A domain's own autoconfig file (Mozilla's config-v1.1.xml), fetched over HTTPS.

Format: https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element

# The file comes from whoever answers for the domain: defusedxml refuses entity
# expansion ("billion laughs") and external entities, which the standard library's
# parser would follow.
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from bccguard.adapters.server_discovery import LookupFailedError
from bccguard.core.discovery import (
    Auth,
    MailServers,
    Server,
    Source,
    domain_of,
    fill_username,
)
from bccguard.core.hosts import is_loopback_host, is_plain_host

# Asked in this order; {domain} and {email} are URL-quoted.
AUTOCONFIG_URLS = (
    "https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={email}",
    "https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
)
_MAX_BYTES = 256 * 1024
_SOCKET_TYPES = {"SSL": "implicit", "STARTTLS": "starttls", "plain": "none"}


class AutoconfigError(LookupFailedError):
    """No usable autoconfig file; the message says what each URL answered."""


class _HttpsOnly(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another https:// URL (never down to http)."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not newurl.lower().startswith("https://"):
            raise urllib.error.URLError(f"redirect to a non-HTTPS URL: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@dataclass(frozen=True, slots=True)
class Autoconfig:
    """Fetch and read a domain's autoconfig file.

    Args:
        urls: URL templates, asked in order (tests point them at a local server).
        ca_file: Certificates to trust instead of the system's (tests).
        timeout: Seconds per request.
    """

    urls: tuple[str, ...] = AUTOCONFIG_URLS
    ca_file: str | None = None
    timeout: float = 10.0

    def __call__(self, email: str) -> MailServers | None:
        """The servers the domain publishes for ``email``.

        Raises:
            AutoconfigError: naming what every URL answered, when none had a
                usable file.
        """
        domain = domain_of(email)
        problems = []
        for template in self.urls:
            url = template.format(domain=quote(domain), email=quote(email, safe="@"))
            try:
                found = parse_autoconfig(self._fetch(url), email, url)
            except AutoconfigError as error:
                problems.append(f"{url}: {error}")
                continue
            if found is not None:
                return found
            problems.append(f"{url}: no IMAP/SMTP server with TLS")
        raise AutoconfigError("; ".join(problems))

    def _fetch(self, url: str) -> bytes:
        context = ssl.create_default_context(cafile=self.ca_file)
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _HttpsOnly()
        )
        request = urllib.request.Request(url, headers={"User-Agent": "BccGuard"})
        try:
            with opener.open(request, timeout=self.timeout) as response:
                body: bytes = response.read(_MAX_BYTES + 1)
        except urllib.error.HTTPError as error:
            error.close()  # it holds the response, and with it the connection
            raise AutoconfigError(f"HTTP {error.code}") from error
        except urllib.error.URLError as error:
            raise AutoconfigError(str(error.reason)) from error
        except (OSError, ssl.SSLError) as error:
            raise AutoconfigError(str(error)) from error
        if len(body) > _MAX_BYTES:
            raise AutoconfigError("file too large")
        return body


def parse_autoconfig(data: bytes, email: str, origin: str) -> MailServers | None:
    """The servers in a config-v1.1.xml document; None without a usable SMTP server.

    Raises:
        AutoconfigError: when the document is not readable XML of that format.
    """
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException) as error:
        raise AutoconfigError(f"not a readable autoconfig file: {error}") from error
    provider = root.find("emailProvider")
    if root.tag != "clientConfig" or provider is None:
        raise AutoconfigError("not a clientConfig document")
    smtp, smtp_auth = _pick(provider.findall("outgoingServer[@type='smtp']"), email)
    imap, imap_auth = _pick(provider.findall("incomingServer[@type='imap']"), email)
    if smtp is None:
        return None
    documentation = provider.find("documentation")
    return MailServers(
        email=email,
        smtp=smtp,
        imap=imap,
        source=Source.AUTOCONFIG,
        origin=origin,
        auth=_auth(smtp, smtp_auth | imap_auth),
        display_name=(provider.findtext("displayName") or "").strip(),
        help_url=(documentation.get("url", "") if documentation is not None else ""),
    )


def _pick(elements: list[Element], email: str) -> tuple[Server | None, set[str]]:
    """The first server with TLS (plain only on this machine) and its methods."""
    for element in elements:
        host = (element.findtext("hostname") or "").strip()
        tls = _SOCKET_TYPES.get((element.findtext("socketType") or "").strip())
        port_text = (element.findtext("port") or "").strip()
        if not host or not is_plain_host(host) or tls is None:
            continue
        if tls == "none" and not is_loopback_host(host):
            continue  # BccGuard never sends a password in the clear over a network
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            continue
        username = fill_username((element.findtext("username") or "").strip(), email)
        methods = {(a.text or "").strip() for a in element.findall("authentication")}
        return Server(host, int(port_text), tls, username), methods
    return None, set()


def _auth(smtp: Server, methods: set[str]) -> Auth:
    """Password when the file offers it, else the OAuth2 of the host's company."""
    if not methods or methods & {"password-cleartext", "password-encrypted"}:
        return Auth.PASSWORD
    if "OAuth2" in methods:
        host = smtp.host.lower()
        if host.endswith((".google.com", ".gmail.com")):
            return Auth.OAUTH2_GOOGLE
        if host.endswith((".office365.com", ".outlook.com")):
            return Auth.OAUTH2_MICROSOFT
    return Auth.PASSWORD
