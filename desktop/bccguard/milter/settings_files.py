"""Where the milter finds its settings and records in BccGuard's home."""

from __future__ import annotations

from pathlib import Path

from bccguard.adapters.paths import config_file
from bccguard.adapters.settings_file import load_settings
from bccguard.core.settings import Settings
from bccguard.milter.config import MilterSettings, load_milter_settings, milter_file

# The reply-all brake's record of exposed threads.
THREADS_FILE = "milter-threads.sqlite"


def milter_held_dir(home: Path) -> Path:
    """Where the milter keeps the records of messages in Postfix's hold queue."""
    return home / "milter-held"


def load_all(home: Path) -> tuple[Settings, MilterSettings]:
    """The policy's settings and the milter's, from BccGuard's home.

    Raises:
        SettingsError: either file is bad.
    """
    return load_settings(config_file(home)), load_milter_settings(milter_file(home))
