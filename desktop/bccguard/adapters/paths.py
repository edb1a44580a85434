"""Where BccGuard keeps its config and state: ``BCCGUARD_HOME`` or the user dirs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_VARIABLE = "BCCGUARD_HOME"


def home() -> Path:
    """The folder for config, held messages and records, created 0700 if missing."""
    override = os.environ.get(HOME_VARIABLE)
    base = Path(override) if override else Path(platformdirs.user_data_dir("bccguard"))
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base


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
