"""Files and folders only this user can open: 0600 files, 0700 folders, whatever
the umask.

Everything BccGuard keeps (settings, secrets, held messages, the incident log, the
IMAP state, the demo outbox, logs, exports) holds addresses, subjects or whole
messages, so every writer goes through here. The modes are set with ``fchmod`` /
``chmod`` after creation, as the umask can only take bits away; an existing
folder or file that others can reach is tightened and a warning says so, once.
On Windows there are no such modes: folders and files are created and written
the same way, and the modes are left to the system.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
import threading
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
_POSIX = os.name == "posix"
_OTHERS = 0o077  # the group and other bits

_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(path: Path, kind: str, old: int, new: int) -> None:
    key = f"{kind}:{path}"
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(
        "the %s %s could be opened by other users (mode %04o); "
        "restricted it to %04o (only you)",
        kind,
        path,
        old,
        new,
    )


def _tighten(path: Path, kind: str, mode: int, fd: int | None = None) -> None:
    """Take the group and other bits off ``path`` (or ``fd``), saying so once."""
    if not _POSIX:
        return
    info = os.fstat(fd) if fd is not None else os.stat(path)
    old = stat.S_IMODE(info.st_mode)
    if not old & _OTHERS:
        return
    try:
        if fd is not None:
            os.fchmod(fd, mode)
        else:
            os.chmod(path, mode)
    except OSError as error:  # e.g. not ours: say so, but do not stop the guard
        with _warned_lock:
            first = f"fail:{path}" not in _warned
            _warned.add(f"fail:{path}")
        if first:
            log.warning(
                "the %s %s can be opened by other users (mode %04o) and cannot "
                "be restricted (%s); run: chmod %o %s",
                kind,
                path,
                old,
                error.strerror,
                mode,
                path,
            )
        return
    _warn_once(path, kind, old, mode)


def private_dir(path: Path) -> Path:
    """``path`` as a folder only this user can enter, and ``path`` back.

    Missing folders (``path`` and any missing parents) are created 0700. An
    existing ``path`` that the group or others can reach is set to 0700, with a
    warning naming it and its old mode (once per process); existing parents are
    left alone (they may be shared, such as ``~/.local/share``).

    Raises:
        OSError: a folder cannot be created (or ``path`` is a file).
    """
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process was quicker: judge it below
            continue
        if _POSIX:
            os.chmod(folder, DIR_MODE)  # exact, whatever the umask
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    _tighten(path, "folder", DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` as a file only this user can read, and ``path`` back.

    A missing file is created empty with mode 0600 (e.g. a database, before
    the library that fills it creates it with its own mode); an existing one that
    others can read is set to 0600 with a warning. The folder must exist.

    Raises:
        OSError: the file cannot be created or opened.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        _tighten(path, "file", FILE_MODE, fd)
    finally:
        os.close(fd)
    return path


def tighten_file(path: Path) -> None:
    """Set an existing file that others can read to 0600 (a warning says so);
    nothing when ``path`` does not exist."""
    with contextlib.suppress(FileNotFoundError):
        _tighten(path, "file", FILE_MODE)


def write_private(path: Path, data: bytes | str, *, sync: bool = False) -> None:
    """Replace ``path`` atomically with ``data``, as a 0600 file.

    The data goes to a new temporary file beside ``path`` (created 0600, never
    shared with another writer), which then replaces ``path`` in one rename: a
    reader or a crash sees the old file or the new one, whole. Text is written as
    UTF-8 with no newline translation.

    Args:
        path: The file; its folder must exist.
        data: The new content.
        sync: Also make it durable (fsync the file and its folder) before
            returning, for data that must survive a power cut.

    Raises:
        OSError: the file cannot be written; ``path`` is unchanged.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            if _POSIX:
                os.fchmod(fd, FILE_MODE)  # mkstemp asks for 0600; make sure of it
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync:
        fsync_folder(path.parent)


def open_private_append(
    path: Path, encoding: str = "utf-8", errors: str | None = None
) -> TextIOWrapper:
    """Open ``path`` for appending text, created 0600 (an existing file that others
    can read is set to 0600, with a warning).

    Raises:
        OSError: the file cannot be opened.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        _tighten(path, "file", FILE_MODE, fd)
        return open(fd, "a", encoding=encoding, errors=errors)
    except BaseException:
        os.close(fd)
        raise


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op elsewhere)."""
    if not _POSIX:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A :class:`RotatingFileHandler` whose files (the log and each new one after
    a rollover) are 0600: log lines name senders and subjects."""

    def _open(self) -> TextIOWrapper:
        return open_private_append(
            Path(self.baseFilename), self.encoding or "utf-8", self.errors
        )
