"""One tray app per user and home: a second start brings the first one forward."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket


def _name(home: Path) -> str:
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return f"bccguard-{digest}"


def ask_running_instance(home: Path) -> bool:
    """True when an instance for ``home`` runs; it was asked to show itself."""
    socket = QLocalSocket()
    socket.connectToServer(_name(home))
    if not socket.waitForConnected(500):
        return False
    socket.write(b"show\n")
    socket.waitForBytesWritten(500)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later starts and calls ``on_show`` for each."""

    def __init__(self, home: Path, on_show: Callable[[], None]) -> None:
        super().__init__()
        self._on_show = on_show
        self._server = QLocalServer(self)
        name = _name(home)
        QLocalServer.removeServer(name)  # a stale socket from a crash
        self._server.listen(name)
        self._server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        connection = self._server.nextPendingConnection()
        if connection is not None:
            connection.disconnected.connect(connection.deleteLater)
            self._on_show()
