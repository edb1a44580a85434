"""The plugin for install-thunderbird: found or built, side-loaded, and what Thunderbird
makes of it (a real headless Thunderbird: a new add-on it asks the user about)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bccguard.adapters.thunderbird_addon import (
    AddonError,
    extension_id,
    find_xpi,
    side_load,
)
from bccguard.core.project_files import packaging_path
from bccguard.native_host import EXTENSION_ID
from tests.plugin.thunderbird import profile_prefs, stop, wait_for, write_prefs


def test_a_source_checkout_builds_the_plugin_from_its_sources() -> None:
    checkout = packaging_path().parent  # the tree this bccguard is imported from
    xpi = find_xpi()
    assert xpi == checkout / "dist" / "bccguard.xpi"
    with zipfile.ZipFile(xpi) as archive:
        assert archive.namelist()[0] == "manifest.json"
        shipped = archive.read("background.js")
    assert shipped == (checkout / "plugin" / "background.js").read_bytes()
    assert extension_id(xpi) == EXTENSION_ID


def test_side_load_puts_it_under_the_gecko_id(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    placed = side_load(find_xpi(), profile)
    assert placed == profile / "extensions" / f"{EXTENSION_ID}.xpi"
    assert placed.read_bytes() == find_xpi().read_bytes()
    assert sorted(p.name for p in placed.parent.iterdir()) == [placed.name]


def test_no_profile_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AddonError, match="no Thunderbird profile folder"):
        side_load(find_xpi(), tmp_path / "missing")


def test_another_add_on_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.xpi"
    with zipfile.ZipFile(other, "w") as archive:
        manifest = {"browser_specific_settings": {"gecko": {"id": "x@example.org"}}}
        archive.writestr("manifest.json", json.dumps(manifest))
    (tmp_path / "p").mkdir()
    with pytest.raises(AddonError, match=r"'x@example\.org', not BccGuard's"):
        side_load(other, tmp_path / "p")
    not_a_zip = tmp_path / "junk.xpi"
    not_a_zip.write_bytes(b"junk")
    with pytest.raises(AddonError, match="not a Thunderbird plugin"):
        extension_id(not_a_zip)


def _install_thunderbird(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "BCCGUARD_HOME": str(home / "bccguard")}
    return subprocess.run(
        [sys.executable, "-m", "bccguard", "install-thunderbird", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_default_profile_gets_it_and_no_profile_says_what_to_do(
    tmp_path: Path,
) -> None:
    bare = _install_thunderbird(tmp_path / "nobody")
    assert bare.returncode == 0, bare.stderr
    assert "no Thunderbird profile found" in bare.stdout
    assert "Install Add-on From File" in bare.stdout

    home = tmp_path / "user"
    profile = home / ".thunderbird" / "abcd.default-release"
    profile.mkdir(parents=True)
    (home / ".thunderbird" / "profiles.ini").write_text(
        "[Profile0]\nName=default-release\nIsRelative=1\n"
        "Path=abcd.default-release\nDefault=1\n",
        encoding="utf-8",
    )
    done = _install_thunderbird(home)
    assert done.returncode == 0, done.stderr
    placed = profile / "extensions" / f"{EXTENSION_ID}.xpi"
    assert f"plugin: {placed}" in done.stdout
    assert placed.read_bytes() == find_xpi().read_bytes()

    missing = _install_thunderbird(home, "--profile", str(tmp_path / "none"))
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith(
        f"no Thunderbird profile folder at {tmp_path / 'none'}"
    )


@pytest.mark.slow
def test_thunderbird_finds_the_side_loaded_plugin_and_asks_to_enable_it(
    tmp_path: Path,
) -> None:
    if shutil.which("thunderbird") is None:
        pytest.fail("thunderbird is not installed (.ci/install-system-packages)")
    profile = tmp_path / "profile"
    profile.mkdir()
    prefs = profile_prefs(smtp_port=9)
    del prefs["extensions.autoDisableScopes"]  # as in a user's profile
    del prefs["xpinstall.signatures.required"]
    write_prefs(profile, prefs)
    done = _install_thunderbird(tmp_path, "--profile", str(profile))
    assert done.returncode == 0, done.stderr

    state = profile / "extensions.json"

    def listed() -> dict[str, object] | None:
        try:
            addons = json.loads(state.read_text(encoding="utf-8"))["addons"]
        except (OSError, ValueError, KeyError):
            return None
        return next((a for a in addons if a.get("id") == EXTENSION_ID), None)

    process = subprocess.Popen(
        ["thunderbird", "--headless", "--no-remote", "--profile", str(profile)],
        env={**os.environ, "HOME": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert wait_for(lambda: listed() is not None, timeout=60)
    finally:
        stop(process)
    addon = listed()
    assert addon is not None
    # Installed from the profile, not refused (appDisabled), and waiting for the
    # user's yes: disabled until allowed, not yet seen (Thunderbird asks about it).
    assert addon["location"] == "app-profile"
    assert addon["foreignInstall"] is True
    assert addon["appDisabled"] is False
    assert addon["userDisabled"] is True
    assert addon["seen"] is False
