"""Screenshots of the settings window's Rules tab with example rules, for review.

    xvfb-run -a -s "-screen 0 1280x800x24" \\
        env PYTHONPATH=. .venv/bin/python tests/screenshots/rules.py OUTDIR [it]

Saves ``settings-rules[-it].png`` (the always-Bcc rule selected) and
``settings-rules-error[-it].png`` (a never-hold rule over gmail.com, refused inline).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from bccguard.core.rule_settings import ListSettings, RuleSettings
from bccguard.core.settings import Settings
from bccguard.ui.i18n import set_language
from bccguard.ui.settings_window import SettingsWindow
from tests.screenshots.take import Camera
from tests.support import MemorySecrets

SETTINGS = Settings(
    lists=(
        ListSettings(
            "Parents 3B",
            ("anna.rossi@libero.it", "bruno.bianchi@gmail.com", "carla@home.example"),
        ),
        ListSettings("Staff", ("head@school.example", "office@school.example")),
    ),
    rules=(
        RuleSettings("Parents 3B", "bcc", lists=("Parents 3B",)),
        RuleSettings("Staff", "never-hold", domains=("school.example",)),
        RuleSettings(
            "Governors",
            "threshold",
            addresses=("chair@governors.example",),
            domains=("governors.example",),
            threshold=3,
        ),
    ),
)


def main(out: Path, language: str) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    set_language(language)
    suffix = "" if language == "en" else f"-{language}"
    camera = Camera(app, out, suffix)  # type: ignore[arg-type]
    config = Path(tempfile.mkdtemp(prefix="bccguard-shots-rules-")) / "config.toml"
    window = SettingsWindow(
        SETTINGS, MemorySecrets(), config, lambda _: None, proxy_secret="secret"
    )
    window.resize(820, 720)
    window.tabs.setCurrentWidget(window.rules)
    camera.window(window, "settings-rules")
    rules = window.rules.rules
    rules.list.setCurrentRow(1)
    rules.domains.setPlainText("school.example\ngmail.com")
    camera.window(window, "settings-rules-error")
    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "en")
