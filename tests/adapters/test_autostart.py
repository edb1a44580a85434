"""Start at login on Linux, macOS and Windows, each written into a throwaway home."""

from __future__ import annotations

import configparser
import plistlib
import shlex
from pathlib import Path

import pytest

from bccguard.adapters import autostart
from bccguard.adapters.autostart import AutostartError

COMMAND = ["/opt/Bcc Guard/bin/python3", "-m", "bccguard"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.mark.parametrize(
    ("system", "relative"),
    [
        ("linux", ".config/autostart/bccguard.desktop"),
        ("darwin", "Library/LaunchAgents/org.bccguard.BccGuard.plist"),
        (
            "windows",
            "AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/"
            "BccGuard.cmd",
        ),
    ],
)
def test_enable_detect_disable(home: Path, system: str, relative: str) -> None:
    assert not autostart.is_enabled(system=system, home=home)
    path = autostart.enable(COMMAND, system=system, home=home)
    assert path == home / relative
    assert path.is_file()
    assert autostart.is_enabled(system=system, home=home)
    assert "/opt/Bcc Guard/bin/python3" in path.read_text(encoding="utf-8")
    autostart.enable(COMMAND, system=system, home=home)  # again: still one file
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    autostart.disable(system=system, home=home)
    assert not path.exists()
    assert not autostart.is_enabled(system=system, home=home)
    autostart.disable(system=system, home=home)  # nothing there: fine


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep case
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_linux_desktop_file(home: Path) -> None:
    path = autostart.enable(COMMAND, system="linux", home=home)
    entry = _desktop_entry(path)
    assert entry["Type"] == "Application"
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    assert entry["Exec"] == '"/opt/Bcc Guard/bin/python3" -m bccguard'
    assert shlex.split(entry["Exec"]) == COMMAND
    assert "{command}" not in path.read_text(encoding="utf-8")


def test_linux_exec_escapes_reserved_characters(home: Path) -> None:
    command = ["/srv/a$b/py", "--label=100%", 'say "hi"', "back\\slash"]
    entry = _desktop_entry(autostart.enable(command, system="linux", home=home))
    # Desktop Entry Specification: quoted, \" \$ \\ escaped, % doubled, and
    # every backslash doubled again because the value is a string.
    assert entry["Exec"] == (
        '"/srv/a\\\\$b/py" "--label=100%%" "say \\\\"hi\\\\"" "back\\\\\\\\slash"'
    )


def test_linux_follows_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = autostart.enable(COMMAND, system="linux")
    assert path == tmp_path / "xdg" / "autostart" / "bccguard.desktop"
    assert autostart.is_enabled(system="linux")
    autostart.disable(system="linux")
    assert not path.exists()


def test_macos_launch_agent(home: Path) -> None:
    path = autostart.enable(COMMAND, system="macos", home=home)
    with path.open("rb") as handle:
        agent = plistlib.load(handle)
    assert agent["Label"] == "org.bccguard.BccGuard"
    assert agent["ProgramArguments"] == COMMAND
    assert agent["RunAtLoad"] is True


def test_windows_startup_script(home: Path) -> None:
    command = ["C:\\Program Files\\BccGuard\\pythonw.exe", "-m", "bccguard", "50%"]
    path = autostart.enable(command, system="windows", home=home)
    data = path.read_bytes()
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("utf-8")
    assert (
        'start "" "C:\\Program Files\\BccGuard\\pythonw.exe" "-m" "bccguard" "50%%"'
        in text
    )


def test_windows_follows_appdata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    path = autostart.enable(COMMAND, system="windows")
    startup = tmp_path / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs"
    assert path == startup / "Startup" / "BccGuard.cmd"
    autostart.disable(system="windows")
    assert not path.exists()


def test_windows_refuses_quotes(home: Path) -> None:
    with pytest.raises(AutostartError):
        autostart.enable(['C:\\x"y.exe'], system="windows", home=home)
    assert not autostart.is_enabled(system="windows", home=home)


def test_empty_command_is_refused(home: Path) -> None:
    with pytest.raises(AutostartError, match="no command"):
        autostart.enable([], system="linux", home=home)


def test_unwritable_folder_is_a_clear_error(home: Path) -> None:
    (home / ".config").write_text("not a folder", encoding="utf-8")
    with pytest.raises(AutostartError, match="cannot write"):
        autostart.enable(COMMAND, system="linux", home=home)


def test_launch_command_runs_this_bccguard() -> None:
    command = autostart.launch_command()
    assert command[-2:] == ["-m", "bccguard"]
    assert Path(command[0]).exists()


def test_app_menu_entry_is_valid() -> None:
    root = Path(__file__).parents[2] / "packaging" / "linux"
    entry = _desktop_entry(root / "bccguard.desktop")
    assert entry["Exec"] == "bccguard"
    assert entry["Type"] == "Application"
