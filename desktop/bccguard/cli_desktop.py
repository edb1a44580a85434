"""The commands that open windows, where the desktop part may be missing.

The ``bccguard`` package has the tray app and its windows (``bccguard.ui``, on
Qt for Python); ``bccguard-server``, built from the same sources, has everything
else and no Qt. A command that needs a window imports ``bccguard.ui`` only when it
runs, and a missing desktop part becomes one line and exit 2, not a traceback.
"""

from __future__ import annotations

from bccguard.i18n import N_, tr

_QT_MODULES = frozenset({"PySide6", "shiboken6"})

SERVER_PACKAGE_LINE = N_(
    "bccguard: the tray app is not installed here (this is bccguard-server, without "
    "Qt); run 'bccguard serve' for the guard, or install the desktop package "
    "'bccguard' in place of 'bccguard-server' for the tray app"
)
NO_QT_LINE = N_(
    "bccguard: the tray app needs Qt for Python (PySide6), which is not installed "
    "here: pip install pyside6-essentials; 'bccguard serve' runs the guard without it"
)


class DesktopMissingError(Exception):
    """A window was asked for where the desktop part is not installed."""


def desktop_missing(error: ModuleNotFoundError) -> DesktopMissingError:
    """The one-line error for ``error`` raised by importing ``bccguard.ui``.

    Raises:
        ModuleNotFoundError: ``error`` itself, when some other module is missing
            (a bug, not an install without the desktop).
    """
    name = error.name or ""
    if name == "bccguard.ui" or name.startswith("bccguard.ui."):
        return DesktopMissingError(tr(SERVER_PACKAGE_LINE))
    if name.split(".")[0] in _QT_MODULES:
        return DesktopMissingError(tr(NO_QT_LINE))
    raise error
