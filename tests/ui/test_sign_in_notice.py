"""A message waiting for a sign-in says which account to sign in to again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from bccguard.adapters.demo_sink import free_port
from bccguard.core.settings import ProxySettings, Settings
from bccguard.ui.application import DesktopApp
from bccguard.ui.i18n import set_language
from tests.support import MemorySecrets
from tests.ui.held_records import in_state

pytestmark = pytest.mark.gui


@pytest.fixture
def desktop(qapp: QApplication, tmp_path: Path) -> Iterator[DesktopApp]:
    settings = Settings(proxy=ProxySettings(port=free_port(), decision_timeout=30))
    app = DesktopApp(
        qapp, tmp_path, settings, MemorySecrets(), demo=True, use_tray=False
    )
    app.start()
    yield app
    app.shutdown()
    set_language("en")


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "Sign in again to gmail"), ("it", "Accedi di nuovo a gmail")],
)
def test_the_notice_names_the_account(
    desktop: DesktopApp, language: str, title: str
) -> None:
    set_language(language)
    held = replace(in_state("needs-sign-in"), account="gmail")
    desktop._on_held_updated(held)
    assert desktop.notifications[-1][0] == title
