"""Reading and writing the settings as TOML (never with secrets in it)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from bccguard.adapters.private_files import write_private
from bccguard.core.settings import (
    Settings,
    SettingsError,
    settings_from_mapping,
    settings_to_mapping,
)


def load_settings(path: Path) -> Settings:
    """The settings in ``path``, or the defaults when it does not exist.

    Raises:
        SettingsError: the file is not valid TOML or holds a bad value.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as error:
        raise SettingsError(
            str(path), "cannot read: {reason}", reason=error.strerror
        ) from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(
            path.name, "not valid TOML: {reason}", reason=str(error)
        ) from error
    return settings_from_mapping(data)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a valid TOML basic string


def dumps(settings: Settings) -> str:
    """The settings as TOML text."""
    data = settings_to_mapping(settings)
    lines: list[str] = []
    for table in ("policy", "proxy", "delivery", "ui"):
        lines.append(f"[{table}]")
        lines.extend(f"{k} = {_value(v)}" for k, v in data[table].items())
        lines.append("")
    for provider, client in data["oauth"].items():
        # Only a registration someone made: an empty table would say nothing.
        if any(client.values()):
            lines.append(f"[oauth.{provider}]")
            lines.extend(f"{k} = {_value(v)}" for k, v in client.items())
            lines.append("")
    for account in data["accounts"]:
        lines.append("[[accounts]]")
        lines.extend(f"{k} = {_value(v)}" for k, v in account.items())
        lines.append("")
    # recipient rules (bccguard.core.rule_settings), sender policies
    for kind in ("lists", "rules", "senders"):
        for item in data[kind]:
            lines.append(f"[[{kind}]]")
            lines.extend(f"{k} = {_value(v)}" for k, v in item.items())
            lines.append("")
    return "\n".join(lines)


def save_settings(path: Path, settings: Settings) -> None:
    """Write ``settings`` atomically (a crash leaves the old file or the new one),
    readable only by the user (mode 0600)."""
    write_private(path, dumps(settings), sync=True)
