"""OAuth2 client registrations: where each provider signs users in, and how.

The client ids come from the settings (``[oauth.google]``, ``[oauth.microsoft]``);
none is built in or borrowed from another program.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bccguard.core.settings import OAuthClientSettings, Settings


class OAuthError(Exception):
    """Root of the OAuth2 subsystem's errors."""


class OAuthConfigError(OAuthError):
    """The settings do not say how to sign in (no client id, unknown provider)."""


class SignInNeededError(OAuthError):
    """The grant is gone (expired, revoked, never made): the user must sign in."""


class OAuthTemporaryError(OAuthError):
    """The authorization server could not be reached or failed: try again later."""


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """One registration with one authorization server."""

    provider: str
    client_id: str
    authorization_endpoint: str
    token_endpoint: str
    scopes: tuple[str, ...]
    client_secret: str = ""
    # Extra authorization request parameters the provider needs.
    extra: dict[str, str] = field(default_factory=dict)
    # The issuer identifier (RFC 8414 §2) the sign-in's answer must name when it
    # names one (RFC 9207); empty: not known, not compared.
    issuer: str = ""


_GOOGLE_ISSUER = "https://accounts.google.com"
_GOOGLE_AUTH = "https://accounts.google.com/o/oauth2/v2/auth"
_GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"
# https://developers.google.com/gmail/imap/xoauth2-protocol: IMAP and SMTP need
# the full-mail scope.
_GOOGLE_SCOPES = ("https://mail.google.com/",)
_MICROSOFT = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/{what}"
# https://learn.microsoft.com/exchange/client-developer/legacy-protocols/
# how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth
_MICROSOFT_SCOPES = (
    "offline_access",
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
)


def oauth_client(settings: Settings, provider: str) -> OAuthClient:
    """The registration for ``provider`` ("google" or "microsoft").

    Raises:
        OAuthConfigError: the provider is unknown or has no client id configured.
    """
    if provider not in ("google", "microsoft"):
        raise OAuthConfigError(f"no OAuth2 sign-in for {provider!r}")
    own: OAuthClientSettings = settings.oauth.client(provider)
    if not own.client_id:
        raise OAuthConfigError(
            f"oauth.{provider}.client_id: not set; register BccGuard with "
            f"{provider.title()} first (README: Signing in with Google or Microsoft)"
        )
    scopes: tuple[str, ...]
    if provider == "google":
        auth, token, scopes = _GOOGLE_AUTH, _GOOGLE_TOKEN, _GOOGLE_SCOPES
        # Google gives a refresh token only for offline access, and again only
        # when the user consents again.
        extra = {"access_type": "offline", "prompt": "consent"}
        issuer = _GOOGLE_ISSUER
    else:
        tenant = own.tenant or "common"
        auth = _MICROSOFT.format(tenant=tenant, what="authorize")
        token = _MICROSOFT.format(tenant=tenant, what="token")
        scopes, extra = _MICROSOFT_SCOPES, {}
        # "common", "organizations" and "consumers" stand for many tenants, each
        # its own issuer: only a named tenant has one to compare with.
        issuer = (
            ""
            if tenant in ("common", "organizations", "consumers")
            else f"https://login.microsoftonline.com/{tenant}/v2.0"
        )
    custom = bool(own.authorization_endpoint or own.token_endpoint)
    return OAuthClient(
        provider=provider,
        client_id=own.client_id,
        client_secret=own.client_secret,
        authorization_endpoint=own.authorization_endpoint or auth,
        token_endpoint=own.token_endpoint or token,
        scopes=own.scopes or scopes,
        extra=extra,
        # Another server than the provider's is not the provider's issuer.
        issuer=own.issuer or ("" if custom else issuer),
    )
