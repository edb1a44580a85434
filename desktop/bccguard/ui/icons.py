"""The tray icon's looks, drawn in code so every state has its own shape and colour."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from bccguard.events import GuardState

# Colour and badge per state: the icon must read at 16 px and without colour vision.
_LOOK: dict[GuardState, tuple[str, str]] = {
    GuardState.STARTING: ("#7f8c8d", ""),
    GuardState.GUARDING: ("#1e8e3e", "check"),
    GuardState.PAUSED: ("#7f8c8d", "pause"),
    GuardState.ATTENTION: ("#e37400", "!"),
    GuardState.ERROR: ("#c5221f", "x"),
    GuardState.STOPPED: ("#7f8c8d", "x"),
}


def _shield(size: float) -> QPainterPath:
    path = QPainterPath()
    w = size
    path.moveTo(w * 0.5, w * 0.06)
    path.lineTo(w * 0.88, w * 0.2)
    path.cubicTo(w * 0.88, w * 0.58, w * 0.72, w * 0.82, w * 0.5, w * 0.95)
    path.cubicTo(w * 0.28, w * 0.82, w * 0.12, w * 0.58, w * 0.12, w * 0.2)
    path.closeSubpath()
    return path


def _badge(painter: QPainter, kind: str, size: float) -> None:
    pen = QPen(
        QColor("white"), size * 0.09, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap
    )
    painter.setPen(pen)
    s = size
    if kind == "check":
        painter.drawPolyline(
            [
                QPointF(s * 0.32, s * 0.5),
                QPointF(s * 0.45, s * 0.63),
                QPointF(s * 0.68, s * 0.36),
            ]
        )
    elif kind == "pause":
        painter.drawLine(QPointF(s * 0.41, s * 0.34), QPointF(s * 0.41, s * 0.64))
        painter.drawLine(QPointF(s * 0.59, s * 0.34), QPointF(s * 0.59, s * 0.64))
    elif kind == "!":
        painter.drawLine(QPointF(s * 0.5, s * 0.28), QPointF(s * 0.5, s * 0.55))
        painter.drawPoint(QPointF(s * 0.5, s * 0.7))
    elif kind == "x":
        painter.drawLine(QPointF(s * 0.36, s * 0.34), QPointF(s * 0.64, s * 0.62))
        painter.drawLine(QPointF(s * 0.64, s * 0.34), QPointF(s * 0.36, s * 0.62))


def state_pixmap(state: GuardState, size: int = 64) -> QPixmap:
    """The icon for ``state`` at ``size`` pixels."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    colour, badge = _LOOK[state]
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(colour).darker(130), size * 0.04))
    painter.setBrush(QColor(colour))
    painter.drawPath(_shield(size))
    _badge(painter, badge, size)
    painter.end()
    return pixmap


def state_icon(state: GuardState) -> QIcon:
    """A multi-size icon for ``state``."""
    icon = QIcon()
    for size in (16, 22, 32, 48, 64, 128):
        icon.addPixmap(state_pixmap(state, size))
    return icon


def app_icon() -> QIcon:
    """The application's own icon (the guarding shield)."""
    return state_icon(GuardState.GUARDING)
