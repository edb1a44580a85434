"""The app's languages: the shared gettext catalogue (:mod:`bccguard.i18n`), and
Qt's own words (standard buttons, text fields' menus, file dialogs) from the
translations Qt ships."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

from bccguard import i18n
from bccguard.i18n import (
    N_,
    available_languages,
    language,
    ntr,
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

_qt_translator: QTranslator | None = None


def set_language(code: str) -> str:
    """Switch language ("auto" follows the system), Qt's own words included;
    returns the language used."""
    used = i18n.set_language(code)
    _use_qt_translations(used)
    return used


def _use_qt_translations(code: str) -> None:
    """Qt's ``qtbase_<code>`` catalogue for the running application, if any."""
    global _qt_translator  # noqa: PLW0603
    app = QCoreApplication.instance()
    if app is None:
        return
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    if code == "en":
        return
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{code}", folder):
        app.installTranslator(translator)
        _qt_translator = translator
