"""The release .xpi: built from the explicit file list, reproducible, loadable."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugin"


def test_manifest_at_the_root_with_the_fixed_id(xpi: Path) -> None:
    with zipfile.ZipFile(xpi) as archive:
        assert archive.namelist()[0] == "manifest.json"
        manifest = json.loads(archive.read("manifest.json"))
    gecko = manifest["browser_specific_settings"]["gecko"]
    assert gecko == {"id": "bccguard@bccguard.org", "strict_min_version": "128.0"}
    assert manifest["manifest_version"] == 3
    assert manifest["background"] == {"scripts": ["background.js"], "type": "module"}


def test_every_plugin_file_is_listed_and_nothing_else(build_xpi: Any) -> None:
    on_disk = {str(p.relative_to(PLUGIN)) for p in PLUGIN.rglob("*") if p.is_file()}
    listed, excluded = set(build_xpi.listed_files()), set(build_xpi.excluded_files())
    assert listed | excluded == on_disk
    assert not listed & excluded


def test_type_checking_files_stay_out_of_the_xpi(xpi: Path) -> None:
    with zipfile.ZipFile(xpi) as archive:
        names = archive.namelist()
    assert not [n for n in names if n.endswith(".ts") or "tsconfig" in n]


def test_every_file_the_plugin_references_is_in_the_xpi(xpi: Path) -> None:
    with zipfile.ZipFile(xpi) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    referenced = {
        manifest["compose_action"]["default_popup"],
        manifest["compose_action"]["default_icon"],
        manifest["message_display_action"]["default_icon"],
        manifest["options_ui"]["page"],
        "_locales/en/messages.json",
        "_locales/it/messages.json",
        "popup/decision.html",
    }
    assert referenced <= names


def test_the_build_is_reproducible(build_xpi: Any, tmp_path: Path, xpi: Path) -> None:
    again = build_xpi.build(tmp_path / "again.xpi")
    assert again.read_bytes() == xpi.read_bytes()
    with zipfile.ZipFile(again) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_locales_have_the_same_messages() -> None:
    en = json.loads((PLUGIN / "_locales/en/messages.json").read_text(encoding="utf-8"))
    it = json.loads((PLUGIN / "_locales/it/messages.json").read_text(encoding="utf-8"))
    assert set(en) == set(it)
    for name in ("holdHeadline", "replyAllHeadline", "apologyBody"):
        assert "$1" in en[name]["message"] and "$1" in it[name]["message"]
