"""The app's languages: the shared gettext catalogue (:mod:`bccguard.i18n`)."""

from __future__ import annotations

from bccguard.i18n import (
    N_,
    available_languages,
    language,
    ntr,
    set_language,
    tr,
    tr_error,
    tr_phrase,
    tr_settings_error,
)

__all__ = [
    "N_",
    "available_languages",
    "language",
    "ntr",
    "set_language",
    "tr",
    "tr_error",
    "tr_phrase",
    "tr_settings_error",
]
