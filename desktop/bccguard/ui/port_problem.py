"""The message shown when BccGuard cannot listen on its port, with the ways out."""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from bccguard.service.errors import ListenFailure
from bccguard.ui.i18n import tr, tr_phrase


class PortChoice(Enum):
    """What the user chose to do about the port."""

    FREE_PORT = "free-port"  # let BccGuard take a free port now
    SETTINGS = "settings"  # choose one in Settings → Mail programs
    NOTHING = "nothing"


class PortProblemBox(QMessageBox):
    """Says why mail programs cannot reach BccGuard, and offers another port."""

    def __init__(self, failure: ListenFailure, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle("BccGuard")
        self.setText(tr_phrase(failure.sentence))
        self.setInformativeText(
            tr(
                "BccGuard can take a free port now, or you can choose one in "
                "Settings. Then set the new port in your mail programs too."
            )
        )
        self.free_button = self.addButton(
            tr("Use a free port"), QMessageBox.ButtonRole.AcceptRole
        )
        self.settings_button = self.addButton(
            tr("Choose in Settings…"), QMessageBox.ButtonRole.ActionRole
        )
        self.close_button = self.addButton(
            tr("Close"), QMessageBox.ButtonRole.RejectRole
        )
        self.setDefaultButton(self.free_button)
        self.setEscapeButton(self.close_button)

    @property
    def choice(self) -> PortChoice:
        """The button the user clicked (nothing, if the box was closed)."""
        clicked = self.clickedButton()
        if clicked is self.free_button:
            return PortChoice.FREE_PORT
        if clicked is self.settings_button:
            return PortChoice.SETTINGS
        return PortChoice.NOTHING
