"""The [delivery] table survives a save (the settings window writes the file)."""

from __future__ import annotations

from pathlib import Path

from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.settings import DeliverySettings, Settings


def test_delivery_settings_are_saved_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    delivery = DeliverySettings(
        take_over_after=12.5, final_reply_timeout=300.0, retry_delays=(5.0, 9.0)
    )
    save_settings(path, Settings(delivery=delivery))
    assert load_settings(path).delivery == delivery
