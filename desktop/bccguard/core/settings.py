"""The settings tree: defaults declared once, validated with the key path in errors.

Secrets are never part of it: passwords and the proxy's local secret live in the
keyring (or the fallback secret file), looked up by the account's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from bccguard.core.address_list import Address, normalise_addr
from bccguard.core.bcc_conversion import ToStyle
from bccguard.core.hosts import is_loopback_host, is_plain_host
from bccguard.core.policy import DEFAULT_THRESHOLD, Action, Policy, PolicyError
from bccguard.core.rule_settings import (
    ListSettings,
    RuleSettings,
    rules_from_mapping,
)
from bccguard.core.send_budget import default_daily_limit
from bccguard.core.sender_policies import SenderPolicy, sender_policy_for
from bccguard.core.setting_checks import (
    SettingsError as SettingsError,  # noqa: PLC0414 (imported from here, too)
)
from bccguard.core.setting_checks import (
    check_bool,
    check_choice,
    check_int,
    check_required,
    check_table,
    check_texts,
    key_path,
)

LOOPBACK_HOST = "127.0.0.1"
PROVIDER_RECIPIENT_LIMITS = {"gmail": 100, "microsoft365": 500, "other": 100}
TLS_MODES = ("starttls", "implicit", "none")
IMAP_TLS_MODES = ("implicit", "starttls", "none")
OAUTH_PROVIDERS = ("google", "microsoft")
UNDO_DELAYS = (0, 5, 10, 30, 60)  # seconds a passing message waits for an Undo


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """[policy]: when a message is held and what happens then."""

    threshold: int = DEFAULT_THRESHOLD
    trusted_domains: tuple[str, ...] = ()
    action: str = Action.ASK.value
    to_style: str = ToStyle.SENDER.value


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """[proxy]: the local submission proxy (always on 127.0.0.1)."""

    port: int = 2525
    decision_timeout: float = 60.0  # well inside Thunderbird's 100 s
    max_message_size: int = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """[delivery]: how BccGuard finishes a delivery it has taken on."""

    # A passing message whose server has not answered by then is taken on (stored
    # durably, the client told 250): well inside Thunderbird's 100 s.
    take_over_after: float = 50.0
    # RFC 5321 §4.5.3.2.6: a server may take 10 minutes to answer the final dot.
    final_reply_timeout: float = 600.0
    retry_delays: tuple[float, ...] = (30.0, 60.0, 120.0, 300.0, 600.0)
    max_attempts: int = 6
    # Seconds between two copies of "send one by one" (Exchange Online allows 30
    # messages a minute; core.send_budget names the sources).
    one_by_one_pause: float = 5.0


@dataclass(frozen=True, slots=True)
class UiSettings:
    """[ui]: the desktop app."""

    language: str = "auto"  # auto | en | it


LANGUAGES = ("auto", "en", "it")


@dataclass(frozen=True, slots=True)
class OAuthClientSettings:
    """[oauth.google], [oauth.microsoft]: BccGuard's own registration with a
    provider (never an id borrowed from another program).

    The endpoints and scopes default to the provider's (empty); they are settable
    for an organisation's own authorization server and for tests.
    """

    client_id: str = ""
    client_secret: str = ""  # Google's "desktop app" clients get one; it is not secret
    tenant: str = ""  # Microsoft: "common" when empty, or the organisation's id
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    scopes: tuple[str, ...] = ()
    # The authorization server's issuer identifier (RFC 8414), for the RFC 9207
    # check of the sign-in's answer; empty: the provider's own.
    issuer: str = ""


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """[oauth]: one client registration per provider."""

    google: OAuthClientSettings = field(default_factory=OAuthClientSettings)
    microsoft: OAuthClientSettings = field(default_factory=OAuthClientSettings)

    def client(self, provider: str) -> OAuthClientSettings:
        """The registration for ``provider`` ("google" or "microsoft")."""
        value: OAuthClientSettings = getattr(self, provider)
        return value


@dataclass(frozen=True, slots=True)
class Account:
    """[[accounts]]: one identity and the upstream server that sends its mail."""

    name: str
    email: str
    smtp_host: str
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_username: str = ""
    provider: str = "other"
    max_recipients: int = 0  # 0: the provider's preset
    threshold: int | None = None
    imap_host: str = ""  # empty: this account's mailbox is not watched
    imap_port: int = 993
    imap_tls: str = "implicit"
    imap_username: str = ""  # empty: the SMTP user name, else the address
    imap_oauth2: bool = False  # the stored secret is an OAuth2 access token
    action: str | None = None  # this identity's own action (else the policy's)
    outbox_folder: str = ""  # opt-in: mail put in this IMAP folder is sent by BccGuard
    oauth: str = ""  # "google" | "microsoft": sign-in by OAuth2 ([oauth.<provider>])
    daily_limit: int = 0  # recipients a day the provider allows (0: its preset)
    undo_delay: int = 0  # seconds a passing message waits for an Undo (0: off)

    def recipient_limit(self) -> int:
        """Recipients per upstream message: explicit, else the provider preset."""
        return self.max_recipients or PROVIDER_RECIPIENT_LIMITS[self.provider]

    def sending_limit(self) -> int:
        """Recipients a day (rolling 24 hours): explicit, else the provider's."""
        return self.daily_limit or default_daily_limit(self.provider, self.email)


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole configuration."""

    policy: PolicySettings = field(default_factory=PolicySettings)
    proxy: ProxySettings = field(default_factory=ProxySettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    ui: UiSettings = field(default_factory=UiSettings)
    oauth: OAuthSettings = field(default_factory=OAuthSettings)
    accounts: tuple[Account, ...] = ()
    lists: tuple[ListSettings, ...] = ()  # [[lists]]: bccguard.core.rule_settings
    rules: tuple[RuleSettings, ...] = ()  # [[rules]]
    senders: tuple[SenderPolicy, ...] = ()  # [[senders]]: core.sender_policies

    def base_policy(
        self, account: Account | None = None, sender: SenderPolicy | None = None
    ) -> Policy:
        """The core policy for mail from ``account`` (its threshold wins), or
        from a [[senders]] entry's senders."""
        threshold = self.policy.threshold
        action = self.policy.action
        own: tuple[str, ...] = ()
        if sender is not None:
            if sender.threshold is not None:
                threshold = sender.threshold
            if sender.action is not None:
                action = sender.action
        elif account is not None:
            own = (account.email,)
            if account.threshold is not None:
                threshold = account.threshold
            if account.action is not None:
                action = account.action
        return Policy.build(
            threshold=threshold,
            trusted_domains=self.policy.trusted_domains,
            own_addresses=own,
            action=Action(action),
            rules=[rule.resolve(self.lists) for rule in self.rules],
        )

    def policy_for(self, sender: str) -> Policy:
        """The one policy for mail from ``sender``, whoever asks (proxy, IMAP,
        plugin, CLI, milter): its account's threshold and action (or its
        [[senders]] entry's), and the sender's own address as well as the
        account's never counted as exposed."""
        account = self.account_for(sender)
        group = sender_policy_for(self.senders, sender)
        if group is not None and (
            account is None or account.email.lower() != sender.lower()
        ):
            policy = self.base_policy(sender=group)  # beats the fallback account
        else:
            policy = self.base_policy(account)
        own = normalise_addr(sender) if sender else ""
        return policy.with_own([Address(own)]) if "@" in own else policy

    def account_for(self, sender: str) -> Account | None:
        """The account whose address sent the mail, else the first one."""
        for account in self.accounts:
            if account.email.lower() == sender.lower():
                return account
        return self.accounts[0] if self.accounts else None

    def undo_delay_for(self, sender: str) -> int:
        """Seconds mail from ``sender`` waits for an Undo before it goes (0: none)."""
        account = self.account_for(sender)
        return account.undo_delay if account is not None else 0

    def with_account(self, account: Account) -> Settings:
        """These settings with ``account`` added or replaced by name."""
        others = tuple(a for a in self.accounts if a.name != account.name)
        return replace(self, accounts=(*others, account))


def _policy(data: Mapping[str, Any]) -> PolicySettings:
    check_table("policy", data, PolicySettings)
    result = PolicySettings(
        threshold=check_int(
            "policy.threshold", data.get("threshold", DEFAULT_THRESHOLD), 0, 100_000
        ),
        trusted_domains=tuple(str(d) for d in data.get("trusted_domains", ())),
        action=check_choice(
            "policy.action", data.get("action", "ask"), tuple(a.value for a in Action)
        ),
        to_style=check_choice(
            "policy.to_style",
            data.get("to_style", "sender"),
            tuple(s.value for s in ToStyle),
        ),
    )
    try:
        Policy.build(trusted_domains=result.trusted_domains)
    except PolicyError as error:
        raise SettingsError(
            "policy.trusted_domains", error.problem, **error.values
        ) from error
    return result


def _proxy(data: Mapping[str, Any]) -> ProxySettings:
    check_table("proxy", data, ProxySettings)
    defaults = ProxySettings()
    timeout = data.get("decision_timeout", defaults.decision_timeout)
    if not isinstance(timeout, int | float) or not 1 <= timeout <= 90:
        raise SettingsError(
            "proxy.decision_timeout", "must be {low}–{high} seconds", low=1, high=90
        )
    port = data.get("port", defaults.port)
    if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 1024:
        raise SettingsError(
            "proxy.port",
            "must be {low}–{high} (lower ports need administrator rights)",
            low=1024,
            high=65535,
        )
    return ProxySettings(
        port=check_int("proxy.port", port, 1024, 65535),
        decision_timeout=float(timeout),
        max_message_size=check_int(
            "proxy.max_message_size",
            data.get("max_message_size", defaults.max_message_size),
            1024,
            1 << 31,
        ),
    )


def _seconds(path: str, value: object, low: float, high: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise SettingsError(path, "must be a number of seconds")
    if not low <= value <= high:
        raise SettingsError(path, "must be {low}–{high} seconds", low=low, high=high)
    return float(value)


def _delivery(data: Mapping[str, Any]) -> DeliverySettings:
    check_table("delivery", data, DeliverySettings)
    defaults = DeliverySettings()
    delays = data.get("retry_delays", list(defaults.retry_delays))
    if not isinstance(delays, list) or not delays:
        raise SettingsError("delivery.retry_delays", "must be a list of seconds")
    return DeliverySettings(
        take_over_after=_seconds(
            "delivery.take_over_after",
            data.get("take_over_after", defaults.take_over_after),
            0.1,
            90,
        ),
        final_reply_timeout=_seconds(
            "delivery.final_reply_timeout",
            data.get("final_reply_timeout", defaults.final_reply_timeout),
            1,
            3600,
        ),
        retry_delays=tuple(
            _seconds(f"delivery.retry_delays[{i}]", d, 0.1, 86_400)
            for i, d in enumerate(delays)
        ),
        max_attempts=check_int(
            "delivery.max_attempts",
            data.get("max_attempts", defaults.max_attempts),
            1,
            100,
        ),
        one_by_one_pause=_seconds(
            "delivery.one_by_one_pause",
            data.get("one_by_one_pause", defaults.one_by_one_pause),
            0.01,
            3600,
        ),
    )


def _ui(data: Mapping[str, Any]) -> UiSettings:
    check_table("ui", data, UiSettings)
    return UiSettings(
        language=check_choice("ui.language", data.get("language", "auto"), LANGUAGES)
    )


def _check_endpoint(path: str, value: object) -> str:
    """An HTTPS address (plain HTTP only to this machine, for a local server)."""
    if not isinstance(value, str):
        raise SettingsError(path, "must be text")
    url = value.strip()
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if scheme == "https" and host:
        return url
    if scheme == "http" and host and is_loopback_host(host):
        return url
    raise SettingsError(
        path,
        "must be an https:// address (http:// only to this machine), not {url}",
        url=url,
    )


def _oauth_client(path: str, data: Mapping[str, Any]) -> OAuthClientSettings:
    check_table(path, data, OAuthClientSettings)
    texts = {}
    for name in ("client_id", "client_secret", "tenant"):
        value = data.get(name, "")
        if not isinstance(value, str):
            raise SettingsError(key_path(path, name), "must be text")
        texts[name] = value.strip()
    scopes = data.get("scopes", [])
    if not isinstance(scopes, list) or not all(
        isinstance(s, str) and s.strip() and " " not in s.strip() for s in scopes
    ):
        raise SettingsError(key_path(path, "scopes"), "must be a list of scope names")
    return OAuthClientSettings(
        client_id=texts["client_id"],
        client_secret=texts["client_secret"],
        tenant=texts["tenant"],
        authorization_endpoint=_check_endpoint(
            key_path(path, "authorization_endpoint"),
            data.get("authorization_endpoint", ""),
        ),
        token_endpoint=_check_endpoint(
            key_path(path, "token_endpoint"), data.get("token_endpoint", "")
        ),
        scopes=tuple(s.strip() for s in scopes),
        issuer=_check_endpoint(key_path(path, "issuer"), data.get("issuer", "")),
    )


def _oauth(data: Mapping[str, Any]) -> OAuthSettings:
    check_table("oauth", data, OAuthSettings)
    return OAuthSettings(
        google=_oauth_client("oauth.google", data.get("google", {})),
        microsoft=_oauth_client("oauth.microsoft", data.get("microsoft", {})),
    )


def _check_host(path: str, host: str) -> str:
    if not is_plain_host(host):
        raise SettingsError(
            path,
            "must be a server name or address alone (no scheme, port or spaces), "
            "not {host}",
            host=host,
        )
    return host


def _check_tls_for_host(path: str, tls: str, host: str) -> None:
    """No TLS only to this machine: the relay and the IMAP watcher refuse to send
    passwords and mail in the clear over a network, so such an account could
    never send or be watched."""
    if tls == "none" and not is_loopback_host(host):
        raise SettingsError(
            path,
            "'none' is only allowed for a server on this machine, not {host}",
            host=host,
        )


def _check_undo_delay(path: str, value: object) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value not in UNDO_DELAYS
    ):
        raise SettingsError(
            path,
            "must be one of {choices} seconds (0: off)",
            choices=", ".join(str(d) for d in UNDO_DELAYS),
        )
    return value


def _account(path: str, data: Mapping[str, Any]) -> Account:
    check_table(path, data, Account)
    for key in ("name", "email", "smtp_host"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise SettingsError(key_path(path, key), "required")
    threshold = data.get("threshold")
    account = Account(
        name=data["name"].strip(),
        email=data["email"].strip(),
        smtp_host=_check_host(key_path(path, "smtp_host"), data["smtp_host"].strip()),
        smtp_port=check_int(
            key_path(path, "smtp_port"), data.get("smtp_port", 587), 1, 65535
        ),
        smtp_tls=check_choice(
            key_path(path, "smtp_tls"), data.get("smtp_tls", "starttls"), TLS_MODES
        ),
        smtp_username=str(data.get("smtp_username", "")),
        provider=check_choice(
            key_path(path, "provider"),
            data.get("provider", "other"),
            tuple(PROVIDER_RECIPIENT_LIMITS),
        ),
        max_recipients=check_int(
            key_path(path, "max_recipients"), data.get("max_recipients", 0), 0, 100_000
        ),
        daily_limit=check_int(
            key_path(path, "daily_limit"), data.get("daily_limit", 0), 0, 1_000_000
        ),
        threshold=None
        if threshold is None
        else check_int(key_path(path, "threshold"), threshold, 0, 100_000),
        imap_host=str(data.get("imap_host", "")).strip(),
        imap_port=check_int(
            key_path(path, "imap_port"), data.get("imap_port", 993), 1, 65535
        ),
        imap_tls=check_choice(
            key_path(path, "imap_tls"), data.get("imap_tls", "implicit"), IMAP_TLS_MODES
        ),
        imap_username=str(data.get("imap_username", "")),
        imap_oauth2=check_bool(
            key_path(path, "imap_oauth2"), data.get("imap_oauth2", False)
        ),
        outbox_folder=str(data.get("outbox_folder", "")).strip(),
        oauth=check_choice(
            key_path(path, "oauth"), data.get("oauth", ""), ("", *OAUTH_PROVIDERS)
        ),
        undo_delay=_check_undo_delay(
            key_path(path, "undo_delay"), data.get("undo_delay", 0)
        ),
        action=None
        if data.get("action") is None
        else check_choice(
            key_path(path, "action"), data.get("action"), tuple(a.value for a in Action)
        ),
    )
    _check_tls_for_host(key_path(path, "smtp_tls"), account.smtp_tls, account.smtp_host)
    if account.imap_host:
        _check_host(key_path(path, "imap_host"), account.imap_host)
        _check_tls_for_host(
            key_path(path, "imap_tls"), account.imap_tls, account.imap_host
        )
    elif account.outbox_folder:
        raise SettingsError(
            key_path(path, "outbox_folder"), "needs an IMAP server (imap_host)"
        )
    return account


def account_from_mapping(data: Mapping[str, Any], path: str = "") -> Account:
    """Validate one account as entered (a form, the command line) or read.

    Args:
        data: The account's keys, as in an ``[[accounts]]`` table.
        path: Where the table is, for the key paths in errors: ``accounts[0]``
            gives ``accounts[0].smtp_tls: ...``; empty gives ``smtp_tls: ...``.

    Raises:
        SettingsError: naming the first key whose value cannot work.
    """
    return _account(path, data)


_SENDER_DOMAIN = re.compile(r"[^\s@,;]+\.[^\s@,;]+")


def _sender_policy(path: str, data: Mapping[str, Any]) -> SenderPolicy:
    check_table(path, data, SenderPolicy)
    name = check_required(key_path(path, "name"), data.get("name"))
    found = {
        kind: tuple(check_texts(key_path(path, kind), data.get(kind, [])))
        for kind in ("addresses", "domains")
    }
    for i, text in enumerate(found["addresses"]):
        if "@" not in normalise_addr(text):
            raise SettingsError(
                f"{path}.addresses[{i}]", "not an e-mail address: {text}", text=text
            )
    for i, text in enumerate(found["domains"]):
        if not _SENDER_DOMAIN.fullmatch(text.lstrip("@").rstrip(".")):
            raise SettingsError(
                f"{path}.domains[{i}]", "not a domain: {text}", text=text
            )
    if not (found["addresses"] or found["domains"]):
        raise SettingsError(path, "names no address or domain")
    threshold = data.get("threshold")
    if threshold is not None:
        threshold = check_int(key_path(path, "threshold"), threshold, 0, 100_000)
    action = data.get("action")
    if action is not None:
        action = check_choice(key_path(path, "action"), action, tuple(Action))
    return SenderPolicy(
        name=name,
        addresses=found["addresses"],
        domains=found["domains"],
        threshold=threshold,
        action=action,
    )


def _senders(data: object) -> tuple[SenderPolicy, ...]:
    if not isinstance(data, list):
        raise SettingsError("senders", "must be a list of tables")
    return tuple(_sender_policy(f"senders[{i}]", t) for i, t in enumerate(data))


def settings_from_mapping(data: Mapping[str, Any]) -> Settings:
    """Validate a parsed TOML document into :class:`Settings`.

    Raises:
        SettingsError: naming the first bad key, e.g.
            ``proxy.port: must be 1024–65535``.
    """
    check_table("", data, Settings)
    accounts = data.get("accounts", [])
    if not isinstance(accounts, list):
        raise SettingsError("accounts", "must be a list of tables")
    parsed = tuple(_account(f"accounts[{i}]", a) for i, a in enumerate(accounts))
    names = [a.name for a in parsed]
    if len(set(names)) != len(names):
        raise SettingsError("accounts", "two accounts have the same name")
    oauth = _oauth(data.get("oauth", {}))
    for i, account in enumerate(parsed):
        if account.oauth and not oauth.client(account.oauth).client_id:
            raise SettingsError(
                f"accounts[{i}].oauth",
                "needs BccGuard's client id for {provider} in [oauth.{provider}] "
                "(see the README: Signing in with Google or Microsoft)",
                provider=account.oauth,
            )
    lists, rules = rules_from_mapping(data)
    return Settings(
        policy=_policy(data.get("policy", {})),
        proxy=_proxy(data.get("proxy", {})),
        delivery=_delivery(data.get("delivery", {})),
        ui=_ui(data.get("ui", {})),
        oauth=oauth,
        accounts=parsed,
        lists=lists,
        rules=rules,
        senders=_senders(data.get("senders", [])),
    )


def settings_to_mapping(settings: Settings) -> dict[str, Any]:
    """The inverse of :func:`settings_from_mapping` (defaults included)."""

    def table(obj: object) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(obj):  # type: ignore[arg-type]
            value = getattr(obj, f.name)
            if value is None:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    return {
        "policy": table(settings.policy),
        "proxy": table(settings.proxy),
        "delivery": table(settings.delivery),
        "ui": table(settings.ui),
        "oauth": {
            "google": table(settings.oauth.google),
            "microsoft": table(settings.oauth.microsoft),
        },
        "accounts": [table(a) for a in settings.accounts],
        "lists": [table(li) for li in settings.lists],
        "rules": [table(r) for r in settings.rules],
        "senders": [table(p) for p in settings.senders],
    }
