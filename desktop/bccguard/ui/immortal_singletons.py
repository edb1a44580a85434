"""None, True and False never die, on Pythons where they are still reference counted.

PySide6 6.12 (measured with CPython 3.11) gives back one reference too many to
``None`` on every call of a Qt method that returns nothing (``setText``,
``setIcon``...) and to ``True`` on every ``Signal.emit``. Since Python 3.12 these
singletons are immortal and the extra release is harmless; on 3.11 their counts
fall steadily while the tray app runs (a few thousand for ``True``, some tens of
thousands for ``None``), and when one reaches zero the process aborts with
"Fatal Python error: bool_dealloc" or "none_dealloc", often while collecting
garbage at exit.

:func:`make_singletons_immortal` raises their counts by 2**40 once at start, which
is what 3.12 does for them: at a thousand lost references a second, that lasts
some thirty years.
"""

from __future__ import annotations

import ctypes
import sys

_MARGIN = 1 << 40
_applied = False


def singletons_are_counted() -> bool:
    """True on CPython before 3.12, where None/True/False have real counts."""
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def make_singletons_immortal() -> bool:
    """Give None, True and False counts that no leak exhausts (once per process).

    Returns:
        True when the counts were raised now.
    """
    global _applied  # noqa: PLW0603
    if _applied or not singletons_are_counted():
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object (a Py_ssize_t).
        count = ctypes.c_ssize_t.from_address(id(singleton))
        count.value += _MARGIN
    _applied = True
    return True
