"""The languages BccGuard speaks: English source strings, others from catalogues.

One catalogue serves the core, the CLI and the user interface:
``resources/locale/<lang>/LC_MESSAGES/bccguard.mo``, compiled from the ``.po`` beside
it (see ``resources/locale/README.md``). Run time needs only the standard library's
:mod:`gettext`, so a server install works without Qt or Babel.

Call sites use :func:`tr` (a sentence with ``{name}`` placeholders) and :func:`ntr`
(a sentence whose form depends on a number, ``ngettext``); a core :class:`Phrase`
is said again in the current language by :func:`tr_phrase`.
"""

from __future__ import annotations

import gettext
import locale
import logging
import os
from pathlib import Path
from typing import Any

from bccguard.core.phrase import N_, Phrase
from bccguard.core.project_files import resource_path
from bccguard.core.settings import SettingsError

__all__ = [
    "N_",
    "available_languages",
    "language",
    "ntr",
    "set_language",
    "system_language",
    "tr",
    "tr_error",
    "tr_phrase",
    "tr_settings_error",
]

DOMAIN = "bccguard"
_ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's order

log = logging.getLogger(__name__)
_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def locale_dir() -> Path:
    """``resources/locale`` of this copy of BccGuard."""
    return resource_path("locale")


def available_languages() -> tuple[str, ...]:
    """English plus every language with a compiled catalogue."""
    found = locale_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
    return ("en", *sorted(p.parents[1].name for p in found))


def system_language() -> str:
    """The language the environment asks for, if BccGuard has it, else English.

    The variables gettext reads (``LANGUAGE`` may list several, by ``:``), then
    the locale Python started with.
    """
    wanted: list[str] = []
    for name in _ENVIRONMENT:
        value = os.environ.get(name, "")
        if value:
            wanted.extend(value.split(":"))
            break
    wanted.append(locale.getlocale()[0] or "")
    available = available_languages()
    for code in wanted:
        short = code.split(".")[0].split("@")[0].split("_")[0].lower()
        if short in available:
            return short
    return "en"


def set_language(code: str) -> str:
    """Switch language ("auto" follows the system); returns the language used."""
    global _translations, _language  # noqa: PLW0603
    if code == "auto":
        code = system_language()
    _translations = gettext.NullTranslations()
    if code != "en":
        try:
            _translations = gettext.translation(DOMAIN, locale_dir(), languages=[code])
        except OSError:  # no catalogue for it in this copy of BccGuard
            log.warning("no %s translation in %s; using English", code, locale_dir())
            code = "en"
    _language = code
    return code


def language() -> str:
    """The language in use."""
    return _language


def tr(text: str, /, **values: Any) -> str:
    """``text`` in the current language, with ``{name}`` placeholders filled."""
    translated = _translations.gettext(text) if text else text
    return translated.format(**values) if values else translated


def ntr(singular: str, plural: str, n: int, /, **values: Any) -> str:
    """The form of ``singular``/``plural`` that fits ``n`` (the catalogue's plural
    rule), translated, with ``{n}`` and the other placeholders filled."""
    return _translations.ngettext(singular, plural, n).format(n=n, **values)


def tr_phrase(phrase: str) -> str:
    """A core sentence in the current language; a plain ``str`` is looked up as is."""
    if not isinstance(phrase, Phrase):
        return tr(phrase)
    values = {
        k: tr_phrase(v) if isinstance(v, Phrase) else v
        for k, v in phrase.values.items()
    }
    if phrase.plural is not None and phrase.n is not None:
        values.pop("n", None)
        return ntr(phrase.template, phrase.plural, phrase.n, **values)
    return tr(phrase.template, **values)


def tr_settings_error(error: SettingsError) -> str:
    """A settings error in the current language; the key path stays as written."""
    return f"{error.path}: {tr(error.problem, **error.values)}"


def tr_error(error: BaseException) -> str:
    """An error for people: its Phrase in the current language, else its text."""
    if len(error.args) == 1 and isinstance(error.args[0], Phrase):
        return tr_phrase(error.args[0])
    return str(error)
