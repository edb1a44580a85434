"""The small main window used where the desktop has no system tray."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from bccguard.events import StateChanged
from bccguard.ui.i18n import tr
from bccguard.ui.icons import state_pixmap
from bccguard.ui.tray import TrayMenu


class StatusWindow(QWidget):
    """Shows the guard's state with the same menu the tray would have."""

    def __init__(
        self,
        menu: TrayMenu,
        port: int,
        *,
        choose_port: Callable[[], None] | None = None,
    ) -> None:
        """``choose_port`` offers another port when the proxy does not listen."""
        super().__init__()
        self.menu = menu
        self.setWindowTitle("BccGuard")
        self.icon = QLabel()
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setWeight(QFont.Weight.Bold)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.port_button = QPushButton(tr("Choose another port…"))
        if choose_port is not None:
            self.port_button.clicked.connect(lambda _checked=False: choose_port())
        self.menu_button = QPushButton(tr("Menu"))
        self.menu_button.setMenu(menu)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.port_button)
        buttons.addWidget(self.menu_button)
        head = QHBoxLayout()
        head.addWidget(self.icon)
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.detail)
        head.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(buttons)
        self.resize(440, 140)
        self.show_listening(port)
        self.show_state(menu.state)

    def show_listening(self, port: int | None) -> None:
        """Say the port mail programs send through, or (None) that there is none."""
        if port is not None:
            self.detail.setText(
                tr("Mail programs send through 127.0.0.1 port {port}.", port=port)
            )
        else:
            self.detail.setText(
                tr(
                    "Choose another port for BccGuard, then set it in your mail "
                    "programs."
                )
            )
        self.port_button.setVisible(port is None)
        self._fit_text()

    def show_state(self, event: StateChanged) -> None:
        """Show the guard's new state."""
        self.menu.state = event
        self.icon.setPixmap(state_pixmap(event.state, 48))
        self.title.setText(self.menu.state_line())
        self._fit_text()

    def _fit_text(self) -> None:
        """Grow taller when the state line wraps onto more lines (a long error)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window minimises it: the guard keeps running."""
        event.ignore()
        self.showMinimized()
