"""The app's languages: English source strings, Italian from a JSON catalogue."""

from __future__ import annotations

import json
import locale
from pathlib import Path
from typing import Any

from bccguard.core.project_files import resource_path
from bccguard.core.settings import SettingsError

_catalogue: dict[str, str] = {}
_language = "en"


def _translations_dir() -> Path:
    """``resources/translations`` of this copy of BccGuard."""
    return resource_path("translations")


def available_languages() -> tuple[str, ...]:
    """Languages with a catalogue, plus English."""
    return ("en", *sorted(p.stem for p in _translations_dir().glob("*.json")))


def set_language(code: str) -> str:
    """Switch language ("auto" follows the system); returns the language used."""
    global _catalogue, _language  # noqa: PLW0603
    if code == "auto":
        system = (locale.getlocale()[0] or "en").split("_")[0].lower()
        code = system if system in available_languages() else "en"
    _language = code
    _catalogue = {}
    if code != "en":
        path = _translations_dir() / f"{code}.json"
        _catalogue = json.loads(path.read_text(encoding="utf-8"))
    return code


def language() -> str:
    """The language in use."""
    return _language


def tr(text: str, **values: Any) -> str:
    """``text`` in the current language, with ``{name}`` placeholders filled."""
    translated = _catalogue.get(text, text)
    return translated.format(**values) if values else translated


def ntr(singular: str, plural: str, n: int, **values: Any) -> str:
    """The form of ``singular``/``plural`` that fits ``n``, translated, with ``{n}``.

    Each form is its own catalogue entry. English and Italian (the languages with a
    catalogue) use the singular for exactly one and the plural otherwise, zero
    included; a language with more forms needs a rule here.
    """
    return tr(singular if n == 1 else plural, n=n, **values)


def tr_settings_error(error: SettingsError) -> str:
    """A settings error in the current language; the key path stays as written."""
    return f"{error.path}: {tr(error.problem, **error.values)}"
