"""The project's own files are found from a checkout and from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bccguard.core.project_files import packaging_path, resource_path

ROOT = Path(__file__).resolve().parents[2]


def test_checkout_finds_resources_and_packaging() -> None:
    assert (resource_path("templates") / "en").is_dir()
    assert (resource_path("locale") / "it" / "LC_MESSAGES" / "bccguard.mo").is_file()
    assert (packaging_path("linux") / "bccguard-autostart.desktop").is_file()


@pytest.mark.slow
def test_an_installed_wheel_carries_them(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("bccguard-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
        names = archive.namelist()
    assert not any("screenshots" in n for n in names)
    probe = (
        "from bccguard.core.project_files import resource_path, packaging_path;"
        "from bccguard.i18n import available_languages;"
        "print(resource_path('templates'));"
        "print((packaging_path('macos') / 'org.bccguard.BccGuard.plist').is_file());"
        "print(available_languages())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""},
        check=True,
        timeout=60,
    ).stdout.splitlines()
    assert out[0].startswith(str(tmp_path / "site"))
    assert out[1] == "True"
    assert out[2] == "('en', 'it')"
