"""The Rules tab is whole at the settings window's default size: no field of the
rule's form cut off below Domains, in English or in (longer) Italian."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from bccguard.core.rule_settings import RuleSettings
from bccguard.core.settings import Settings
from bccguard.ui.i18n import set_language
from bccguard.ui.settings_window import SettingsWindow
from tests.support import MemorySecrets

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    yield
    set_language("en")


def whole(widget: QWidget) -> bool:
    """Shown and not clipped by any parent."""
    return widget.isVisible() and (
        widget.visibleRegion().boundingRect().size() == widget.size()
    )


@pytest.mark.parametrize("lang", ["en", "it"])
@pytest.mark.parametrize("effect", ["", "never-hold", "threshold"])
def test_the_rule_form_is_whole_at_the_default_size(
    qtbot,  # type: ignore[no-untyped-def]
    qapp: QApplication,
    tmp_path: Path,
    lang: str,
    effect: str,
) -> None:
    set_language(lang)
    rule = RuleSettings("Staff", effect or "bcc", domains=("school.example",))
    settings = Settings(rules=(rule,) if effect else ())
    window = SettingsWindow(
        settings,
        MemorySecrets(),
        tmp_path / "config.toml",
        lambda _: None,
        proxy_secret="secret",
    )
    qtbot.addWidget(window)
    window.show()
    window.tabs.setCurrentWidget(window.rules)
    qapp.processEvents()
    form = window.rules.rules
    fields = [form.name, form.effect, form.lists, form.addresses, form.domains]
    if effect == "threshold":
        fields.append(form.threshold)
    assert [whole(f) for f in fields] == [True] * len(fields)
    lists = window.rules.lists
    assert whole(lists.name)
