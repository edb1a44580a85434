"""The settings file keeps the [oauth.*] registrations when it is saved."""

from __future__ import annotations

from pathlib import Path

from bccguard.adapters.settings_file import dumps, load_settings, save_settings
from bccguard.core.settings import Settings, settings_from_mapping


def test_client_ids_survive_a_save(tmp_path: Path) -> None:
    settings = settings_from_mapping(
        {"oauth": {"microsoft": {"client_id": "0000-1111", "tenant": "organizations"}}}
    )
    path = tmp_path / "config.toml"
    save_settings(path, settings)
    assert load_settings(path) == settings


def test_no_registration_writes_no_oauth_table() -> None:
    assert "[oauth" not in dumps(Settings())
