"""The checks every settings table goes through, and the one error they raise.

Each check takes the key path of the value (``accounts[0].smtp_port``) and raises
:class:`SettingsError` naming it. The tables of ``config.toml``
(:mod:`bccguard.core.settings`, :mod:`bccguard.core.rule_settings`) and the
milter's (:mod:`bccguard.milter.config`) use the same checks, so the same mistake
reads the same wherever it is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any


class SettingsError(ValueError):
    """A setting with an unusable value: its key path and what is wrong with it.

    ``problem`` is an English template filled from ``values``, so that a user
    interface can say it in its own language; ``str()`` is ``"path: problem"``.
    """

    def __init__(self, path: str, problem: str, /, **values: object) -> None:
        super().__init__(f"{path}: {problem.format(**values)}")
        self.path = path
        self.problem = problem
        self.values = values


def key_path(path: str, name: str) -> str:
    """The key path of ``name`` in the table at ``path`` (just ``name`` at the top)."""
    return f"{path}.{name}" if path else name


def check_table(path: str, data: object, cls: type) -> Mapping[str, Any]:
    """``data`` as a table with no key that the dataclass ``cls`` does not have."""
    if not isinstance(data, Mapping):
        raise SettingsError(path or "(top)", "must be a table")
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise SettingsError(key_path(path, unknown[0]), "unknown setting")
    return data


def check_int(path: str, value: object, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise SettingsError(path, "must be a whole number")
    if not low <= value <= high:
        raise SettingsError(path, "must be {low}–{high}", low=low, high=high)
    return value


def check_bool(path: str, value: object) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise SettingsError(path, "must be true or false")
    return value


def check_choice(path: str, value: object, choices: tuple[str, ...]) -> str:
    """One of ``choices``."""
    if value not in choices:
        raise SettingsError(
            path, "must be one of {choices}", choices=", ".join(choices)
        )
    return str(value)


def check_required(path: str, value: object) -> str:
    """Text that is not blank, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(path, "required")
    return value.strip()


def check_texts(path: str, value: object) -> list[str]:
    """A list of text: each stripped, blank ones left out."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(path, "must be a list of text")
    return [v.strip() for v in value if v.strip()]
