"""Small pieces the settings tabs share: colours for messages and form widgets."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox

ERROR_STYLE = "color: #b3261e;"
OK_STYLE = "color: #0d652d;"
WARNING_STYLE = "background: #fef7e0; color: #8a4b00; padding: 8px; border-radius: 4px;"


def choice_box(choices: dict[str, str], current: str) -> QComboBox:
    """A combo box of ``value: label`` pairs with ``current`` selected."""
    combo = QComboBox()
    for value, label in choices.items():
        combo.addItem(label, value)
    if combo.findData(current) < 0:
        combo.addItem(current, current)
    combo.setCurrentIndex(combo.findData(current))
    return combo


def number_box(low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setMinimumWidth(110)
    spin.setMaximumWidth(160)
    return spin


def wrapped_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label
