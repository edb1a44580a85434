"""Where BccGuard keeps its config and state: ``BCCGUARD_HOME`` or the user dirs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from bccguard.adapters.private_files import private_dir

HOME_VARIABLE = "BCCGUARD_HOME"


def home() -> Path:
    """The folder for config, held messages and records, only the user's: created
    0700 if missing, and set to 0700 (with a warning) if others could enter it."""
    override = os.environ.get(HOME_VARIABLE)
    base = Path(override) if override else Path(platformdirs.user_data_dir("bccguard"))
    return private_dir(base)


def config_file(base: Path) -> Path:
    """The TOML settings file."""
    return base / "config.toml"


def held_dir(base: Path) -> Path:
    """The durable store of held messages."""
    return base / "held"


def control_file(base: Path) -> Path:
    """Where the running guard says how to reach its control channel."""
    return base / "control.json"


def log_dir(base: Path) -> Path:
    """Rotating log files."""
    return base / "logs"
