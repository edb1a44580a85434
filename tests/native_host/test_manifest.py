"""install-thunderbird: the host manifest for Linux, macOS and Windows."""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bccguard.native_host import EXTENSION_ID, HOST_NAME
from bccguard.native_host.cli import add_native_commands
from bccguard.native_host.manifest import ManifestError, install
from tests.native_host.conftest import frame, replies


def test_linux_manifest_in_dot_mozilla(tmp_path: Path) -> None:
    done = install("Linux", user_home=tmp_path / "u", data_dir=tmp_path / "d")
    assert done.manifest == (
        tmp_path / "u" / ".mozilla" / "native-messaging-hosts" / f"{HOST_NAME}.json"
    )
    manifest = json.loads(done.manifest.read_text(encoding="utf-8"))
    assert manifest == {
        "name": HOST_NAME,
        "description": "BccGuard desktop app",
        "path": str(done.launcher),
        "type": "stdio",
        "allowed_extensions": [EXTENSION_ID],
    }
    assert Path(manifest["path"]).is_absolute()
    assert done.launcher.stat().st_mode & stat.S_IXUSR
    assert done.registry_key is None


def test_macos_manifest_in_library(tmp_path: Path) -> None:
    done = install("Darwin", user_home=tmp_path / "u", data_dir=tmp_path / "d")
    expected = tmp_path / "u" / "Library" / "Mozilla" / "NativeMessagingHosts"
    assert done.manifest.parent == expected


def test_windows_manifest_file_and_registry_key(tmp_path: Path) -> None:
    written: list[tuple[str, str]] = []
    done = install(
        "Windows",
        user_home=tmp_path / "u",
        data_dir=tmp_path / "d",
        python="C:\\Python\\python.exe",
        registry=lambda key, value: written.append((key, value)),
    )
    assert written == [
        (f"Software\\Mozilla\\NativeMessagingHosts\\{HOST_NAME}", str(done.manifest))
    ]
    assert done.registry_key == (
        f"HKEY_CURRENT_USER\\Software\\Mozilla\\NativeMessagingHosts\\{HOST_NAME}"
    )
    assert done.launcher.name == "bccguard-native-host.bat"
    text = done.launcher.read_text(encoding="utf-8")
    assert '"C:\\Python\\python.exe" -m bccguard.native_host %*' in text
    assert not (tmp_path / "u" / ".mozilla").exists()


def test_the_registry_is_not_touched_off_windows(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.fail("this suite runs on Linux")
    with pytest.raises(ManifestError):
        install("Windows", user_home=tmp_path, data_dir=tmp_path / "d")


def test_unknown_system(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="Haiku"):
        install("Haiku", user_home=tmp_path, data_dir=tmp_path)


def test_the_launcher_runs_the_host(tmp_path: Path) -> None:
    done = install(
        "Linux",
        user_home=tmp_path / "u",
        data_dir=tmp_path / "d",
        python=sys.executable,
    )
    env = {**os.environ, "BCCGUARD_HOME": str(tmp_path / "home")}
    # Thunderbird passes the manifest path and the extension id as arguments.
    result = subprocess.run(
        [str(done.launcher), str(done.manifest), EXTENSION_ID],
        input=frame({"type": "policy"}),
        capture_output=True,
        env=env,
        timeout=30,
        check=True,
    )
    assert replies(result.stdout)[0]["policy"]["threshold"] == 10


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="bccguard")
    add_native_commands(root.add_subparsers(dest="command"))
    return root


def test_subcommands_are_registered() -> None:
    args = parser().parse_args(["native-host", "/x/manifest.json", EXTENSION_ID])
    assert args.command == "native-host"
    assert callable(args.run)
    args = parser().parse_args(["install-thunderbird", "--system", "Darwin"])
    assert args.system == "Darwin"


def test_install_thunderbird_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "u"))
    monkeypatch.setenv("BCCGUARD_HOME", str(tmp_path / "home"))
    args = parser().parse_args(["install-thunderbird", "--system", "Linux"])
    assert args.run(args) == 0
    out = capsys.readouterr().out
    manifest = tmp_path / "u" / ".mozilla" / "native-messaging-hosts"
    assert f"native host manifest: {manifest / (HOST_NAME + '.json')}" in out
    assert "plugin: " in out and "bccguard.xpi" in out


def test_install_thunderbird_reports_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "u"))
    monkeypatch.setenv("BCCGUARD_HOME", str(tmp_path / "home"))
    args = parser().parse_args(["install-thunderbird", "--system", "Windows"])
    assert args.run(args) == 2
    assert "only available on Windows" in capsys.readouterr().err
