"""[milter] settings: which mail the milter looks at, and how it reaches Postfix.

They live in ``milter.toml`` beside the policy's ``config.toml`` in BCCGUARD_HOME:
the policy (thresholds, trusted domains, actions) is the desktop's, read through
``Settings.policy_for``; only what is the server's own is here.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bccguard.core.setting_checks import (
    SettingsError,
    check_bool,
    check_choice,
    check_table,
    check_texts,
)

# Postfix's own default (postconf header_size_limit): the excess of a longer
# header is discarded before a milter sees it.
POSTFIX_HEADER_SIZE_LIMIT = 102_400
# postconf header_address_token_limit: address tokens beyond it are discarded.
POSTFIX_HEADER_ADDRESS_TOKEN_LIMIT = 10_240
# The privileged queue helper, run through sudo (packaging/milter/sudoers).
DEFAULT_QUEUE_HELPER = ("sudo", "-n", "/usr/lib/bccguard/postfix-queue")
# How a release as is leaves: re-injected (signed by the DKIM signer after the
# milter; Postfix calls no milter after one that quarantines) or postsuper -H.
AS_IS_REINJECT = "reinject"
AS_IS_IN_PLACE = "in-place"


@dataclass(frozen=True, slots=True)
class MilterSettings:
    """What the milter needs beyond the policy.

    Attributes:
        trusted_networks: client networks (CIDR) whose mail is checked without
            SASL (empty: only authenticated submissions are checked).
        header_size_limit: Postfix's header_size_limit; a recipient header
            near it may have been cut and is never counted as complete.
        header_address_token_limit: Postfix's; the same for address tokens.
        brake_replies: replies to an exposed thread within ``brake_minutes``
            after which further replies are held (0: no brake).
        brake_minutes: the brake's window.
        notify: tell the sender of a held or rejected message.
        queue_helper: the command that runs Postfix's queue tools with the
            privileges they need.
        sendmail: Postfix's sendmail, for re-injecting a converted release and
            for the notices.
        postfix_config: Postfix's configuration folder ("" for its default).
        as_is_release: "reinject" (the default: the DKIM signer after the
            milter signs the released message) or "in-place" (``postsuper -H``:
            Postfix's own copy, unchanged to the byte, for servers with no
            signer after the milter).
    """

    trusted_networks: tuple[str, ...] = ()
    header_size_limit: int = POSTFIX_HEADER_SIZE_LIMIT
    header_address_token_limit: int = POSTFIX_HEADER_ADDRESS_TOKEN_LIMIT
    # Microsoft's reply-all storm protection starts at 10 replies to 5,000+ people
    # within an hour; an organisation's storm hurts long before that.
    brake_replies: int = 10
    brake_minutes: float = 60.0
    notify: bool = True
    queue_helper: tuple[str, ...] = DEFAULT_QUEUE_HELPER
    sendmail: str = "/usr/sbin/sendmail"
    postfix_config: str = ""
    as_is_release: str = AS_IS_REINJECT

    def trusts_client(self, address: str) -> bool:
        """True when ``address`` (the SMTP client's IP) is in a trusted network."""
        try:
            ip = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return False
        return any(
            ip in ipaddress.ip_network(n, strict=False) for n in self.trusted_networks
        )


def milter_file(home: Path) -> Path:
    """The milter's settings file in BccGuard's home."""
    return home / "milter.toml"


def load_milter_settings(path: Path) -> MilterSettings:
    """The settings in ``path`` (defaults when it does not exist).

    Raises:
        SettingsError: the file is not TOML or holds a bad value (its key path).
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return MilterSettings()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(path.name, "cannot be read: {why}", why=error) from error
    return milter_settings_from_mapping(data.get("milter", {}))


def milter_settings_from_mapping(data: Any) -> MilterSettings:
    """Validate a ``[milter]`` table.

    Raises:
        SettingsError: naming the first bad key, e.g. ``milter.brake_minutes``.
    """
    check_table("milter", data, MilterSettings)
    defaults = MilterSettings()
    networks = _texts("trusted_networks", data.get("trusted_networks", []))
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as error:
            raise SettingsError(
                "milter.trusted_networks", "{net} is not a network", net=network
            ) from error
    helper = _texts(
        "queue_helper", data.get("queue_helper", list(defaults.queue_helper))
    )
    if not helper:
        raise SettingsError("milter.queue_helper", "must name a command")
    return MilterSettings(
        trusted_networks=networks,
        header_size_limit=_number(
            "header_size_limit",
            data.get("header_size_limit", defaults.header_size_limit),
            1024,
        ),
        header_address_token_limit=_number(
            "header_address_token_limit",
            data.get("header_address_token_limit", defaults.header_address_token_limit),
            256,
        ),
        brake_replies=_number(
            "brake_replies", data.get("brake_replies", defaults.brake_replies), 0
        ),
        brake_minutes=float(
            _number(
                "brake_minutes", data.get("brake_minutes", defaults.brake_minutes), 1
            )
        ),
        notify=check_bool("milter.notify", data.get("notify", defaults.notify)),
        queue_helper=helper,
        sendmail=_text("sendmail", data.get("sendmail", defaults.sendmail)),
        postfix_config=_text("postfix_config", data.get("postfix_config", "")),
        as_is_release=check_choice(
            "milter.as_is_release",
            data.get("as_is_release", defaults.as_is_release),
            (AS_IS_REINJECT, AS_IS_IN_PLACE),
        ),
    )


def _number(key: str, value: object, low: float) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise SettingsError(
            f"milter.{key}", "must be a number of at least {low}", low=low
        )
    return int(value)


def _text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise SettingsError(f"milter.{key}", "must be text")
    return value.strip()


def _texts(key: str, value: object) -> tuple[str, ...]:
    return tuple(check_texts(f"milter.{key}", value))
