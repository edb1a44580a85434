"""None, True and False outlive PySide6's surplus releases wherever bccguard.ui is
imported: here, a hundred thousand Qt calls that each release one too many."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel

import bccguard.ui
from bccguard.ui.immortal_singletons import singletons_are_counted

pytestmark = pytest.mark.gui


class _Emitter(QObject):
    said = Signal(object)


@pytest.mark.skipif(not singletons_are_counted(), reason="immortal since 3.12")
def test_counts_are_out_of_reach(qapp: QApplication) -> None:
    assert bccguard.ui.__name__
    for singleton in (None, True, False):
        assert sys.getrefcount(singleton) > 1 << 39


def test_many_qt_calls_and_emits_leave_the_process_alive(qapp: QApplication) -> None:
    label, emitter = QLabel(), _Emitter()
    heard: list[object] = []
    emitter.said.connect(heard.append)
    for n in range(60_000):  # more than None's or True's count at start
        label.setText("x")
        emitter.said.emit(n)
    assert len(heard) == 60_000
