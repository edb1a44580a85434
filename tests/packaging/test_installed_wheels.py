"""The built wheels, installed as users install them, run from clean environments.

An editable install finds every file of the source tree by itself, so what a
wheel leaves out shows only here. The wheels are built from a copy of the files
git tracks (a fresh clone has nothing else): ``bccguard`` (the desktop app) with
``python -m build`` (sdist, then the wheel from it), ``bccguard-server`` with
``packaging/server/build_wheel.py`` (``pip wheel``). Each
goes into a new virtual environment (``python -m venv``, no source tree on the
path, not editable), dependencies pinned to this environment's versions, and its
``bccguard`` command runs: help, check, ``serve --demo`` holding and releasing a
message submitted with smtplib, the native host, ``install-thunderbird``; the
desktop one starts the tray app offscreen and quits it from the menu, the server
one has no Qt and says so for the tray.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import smtplib
import struct
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bccguard.adapters.control_channel import request
from bccguard.adapters.demo_sink import free_port
from bccguard.cli_desktop import SERVER_PACKAGE_LINE
from bccguard.demo import DEMO_SENDER, recipients_of, sample_mass_mail
from bccguard.native_host import EXTENSION_ID

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TRAY_DRIVER = Path(__file__).with_name("tray_driver.py")
STARTUP_LIMIT = 90.0  # seconds: a process that has not started by then is killed
# Variables that would lead an installed program back to this tree or this user.
DROPPED = ("PYTHONPATH", "VIRTUAL_ENV", "DISPLAY", "WAYLAND_DISPLAY", "PYTHONHOME")
DROPPED_PREFIX = ("DBUS_", "XDG_", "BCCGUARD_", "QT_")


def _run(command: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **kwargs)


def _wait_all(*jobs: tuple[subprocess.Popen[bytes], Path]) -> None:
    """Wait for processes started together; fail with the log of one that failed."""
    failed = [log for job, log in jobs if job.wait(timeout=600) != 0]
    if failed:
        pytest.fail(
            "\n".join(f"{log}:\n{log.read_text(errors='replace')}" for log in failed)
        )


def tracked_copy(target: Path) -> Path:
    """The files git tracks here, as they are in the working tree: a clean clone."""
    if not (ROOT / ".git").exists():
        pytest.fail("the wheels are built from the files git tracks: needs a checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    for name in filter(None, listed.split(b"\0")):
        source = ROOT / os.fsdecode(name)
        if source.is_file():  # a tracked file deleted in the working tree: gone
            destination = target / os.fsdecode(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


def pinned_versions(target: Path) -> Path:
    """This environment's versions as pip constraints: the same packages as tested."""
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pins = [
        line
        for line in frozen.splitlines()
        if re.fullmatch(r"[A-Za-z0-9._-]+==[^ ;@]+", line)
        and not line.lower().startswith("bccguard")
    ]
    target.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return target


@dataclass(frozen=True)
class Wheels:
    source: Path
    desktop: Path
    server: Path
    xpi: Path  # the plugin as the source's own build script makes it


@dataclass(frozen=True)
class Install:
    """One virtual environment with one of the wheels installed."""

    name: str
    venv: Path
    root: Path  # a scratch folder: HOME, BCCGUARD_HOME and files live below it

    @property
    def bccguard(self) -> str:
        return str(self.venv / "bin" / "bccguard")

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in DROPPED and not k.startswith(DROPPED_PREFIX)
        }
        return {
            **env,
            "HOME": str(home),
            "BCCGUARD_HOME": str(home / "bccguard"),
            **extra,
        }

    def run(
        self, home: Path, *args: str, stdin: bytes | None = None, **extra: str
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [self.bccguard, *args],
            input=stdin,
            env=self.env(home, **extra),
            cwd=home,
            capture_output=True,
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    """Both wheels, built at once from a clean copy of the tracked files."""
    work = tmp_path_factory.mktemp("wheels")
    source = tracked_copy(work / "src")
    out = work / "dist"
    # As a release would: the sdist, and the wheel built from it (so the sdist
    # must carry what the plugin's build needs).
    desktop = _run(
        [sys.executable, "-m", "build", "--outdir", str(out), "."],
        work / "desktop-build.log",
        cwd=source,
    )
    server = _run(
        [sys.executable, "packaging/server/build_wheel.py", "--outdir", str(out)],
        work / "server-build.log",
        cwd=source,
    )
    xpi = _run(
        [
            sys.executable,
            "packaging/thunderbird/build_xpi.py",
            "--output",
            str(work / "bccguard.xpi"),
        ],
        work / "xpi-build.log",
        cwd=source,
    )
    _wait_all(
        (desktop, work / "desktop-build.log"),
        (server, work / "server-build.log"),
        (xpi, work / "xpi-build.log"),
    )
    (desktop_wheel,) = out.glob("bccguard-*.whl")
    (server_wheel,) = out.glob("bccguard_server-*.whl")
    return Wheels(source, desktop_wheel, server_wheel, work / "bccguard.xpi")


@pytest.fixture(scope="module")
def installs(
    wheels: Wheels, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Install]:
    """A fresh virtual environment per wheel, the wheel installed (not editable)."""
    work = tmp_path_factory.mktemp("venvs")
    pins = pinned_versions(work / "constraints.txt")
    found = {
        name: Install(name, work / name, tmp_path_factory.mktemp(name))
        for name in ("desktop", "server")
    }
    _wait_all(
        *(
            (
                _run(
                    [sys.executable, "-m", "venv", str(i.venv)], work / f"{n}-venv.log"
                ),
                work / f"{n}-venv.log",
            )
            for n, i in found.items()
        )
    )
    wheel = {"desktop": wheels.desktop, "server": wheels.server}
    _wait_all(
        *(
            (
                _run(
                    [
                        i.python,
                        "-m",
                        "pip",
                        "install",
                        "-q",
                        "--disable-pip-version-check",
                        "-c",
                        str(pins),
                        str(wheel[n]),
                    ],
                    work / f"{n}-install.log",
                    cwd=work,
                ),
                work / f"{n}-install.log",
            )
            for n, i in found.items()
        )
    )
    return found


@pytest.fixture(params=["desktop", "server"])
def install(request: pytest.FixtureRequest, installs: dict[str, Install]) -> Install:
    return installs[request.param]


@pytest.fixture
def home(install: Install, tmp_path: Path) -> Path:
    """HOME for one run of an installed command (BccGuard's home below it)."""
    folder = tmp_path / "user"
    folder.mkdir()
    return folder


def test_the_wheels_carry_the_plugin_and_their_own_packages(wheels: Wheels) -> None:
    xpi = "bccguard/_packaging/thunderbird/bccguard.xpi"
    with zipfile.ZipFile(wheels.desktop) as desktop:
        names = set(desktop.namelist())
        assert "bccguard/ui/application.py" in names
        assert desktop.read(xpi) == wheels.xpi.read_bytes()
        metadata = desktop.read("bccguard-0.1.0.dist-info/METADATA").decode()
    assert "Requires-Dist: pyside6-essentials" in metadata
    with zipfile.ZipFile(wheels.server) as server:
        server_names = set(server.namelist())
        assert server.read(xpi) == wheels.xpi.read_bytes()
        metadata = server.read("bccguard_server-0.1.0.dist-info/METADATA").decode()
    assert "Name: bccguard-server" in metadata
    assert "pyside6" not in metadata.lower()
    assert not [n for n in server_names if n.startswith("bccguard/ui/")]
    shared = {
        n for n in names if ".dist-info/" not in n and not n.startswith("bccguard/ui/")
    }
    assert shared == {n for n in server_names if ".dist-info/" not in n}


def test_the_desktop_wheel_has_every_file_it_runs_from(wheels: Wheels) -> None:
    """The package, the resources (catalogues, templates, icons) and the packaging
    files: every tracked one is in the wheel (screenshots are for the README)."""
    places = {
        "desktop": "",
        "resources": "bccguard/_resources/",
        "packaging": "bccguard/_packaging/",
    }
    expected = set()
    for top, prefix in places.items():
        for path in (wheels.source / top).rglob("*"):
            relative = path.relative_to(wheels.source / top).as_posix()
            built = ".egg-info/" in relative or "__pycache__/" in relative
            if path.is_file() and not built and not relative.startswith("screenshots/"):
                expected.add(prefix + relative)
    with zipfile.ZipFile(wheels.desktop) as desktop:
        names = set(desktop.namelist())
    assert any(
        n.endswith(".mo") or n.endswith(".json") for n in expected if "_resources/" in n
    )
    assert sorted(expected - names) == []


def test_installed_from_the_wheel_not_the_source(install: Install, home: Path) -> None:
    where = subprocess.run(
        [install.python, "-c", "import bccguard; print(bccguard.__file__)"],
        env=install.env(home),
        cwd=home,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(install.venv / "lib")
    editable = list((install.venv / "lib").glob("python*/site-packages/__editable__*"))
    assert editable == []


def test_help_and_check(install: Install, home: Path) -> None:
    helped = install.run(home, "--help")
    assert helped.returncode == 0, helped.stderr
    assert b"install-thunderbird" in helped.stdout
    milter = install.run(home, "milter", "--help")  # pymilter is the extra [milter]
    assert milter.returncode == 0, milter.stderr
    mass = home / "mass.eml"
    mass.write_bytes(sample_mass_mail(25))
    checked = install.run(home, "check", "--json", str(mass))
    assert checked.returncode == 1, checked.stderr  # held
    verdict = json.loads(checked.stdout)
    assert verdict["verdict"] == "hold"
    assert verdict["exposed_count"] == 25


class Serve:
    """``bccguard serve --demo`` of one install, in its own home."""

    def __init__(self, install: Install, home: Path) -> None:
        self.install = install
        self.home = home
        self.port = free_port()
        self.process = subprocess.Popen(
            [install.bccguard, "serve", "--demo", "--port", str(self.port)],
            env=install.env(home, PYTHONUNBUFFERED="1"),
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        assert self.process.stdout is not None
        watchdog = threading.Timer(STARTUP_LIMIT, self.process.kill)  # never hang
        watchdog.start()
        try:
            for line in self.process.stdout:
                self.output.append(line)
                if "is guarding on" in line:
                    break
            else:
                pytest.fail(f"serve did not start:\n{''.join(self.output)}")
        finally:
            watchdog.cancel()

    def cli(self, *args: str) -> str:
        done = self.install.run(self.home, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.decode()

    def stop(self) -> int:
        self.process.terminate()
        code = self.process.wait(60)
        assert self.process.stdout is not None
        self.output.append(self.process.stdout.read())
        self.process.stdout.close()
        return code


@pytest.fixture
def serve(install: Install, home: Path) -> Iterator[Serve]:
    server = Serve(install, home)
    yield server
    if server.process.poll() is None:
        server.stop()


def test_serve_demo_holds_and_releases(serve: Serve) -> None:
    secret = serve.cli("secret").strip()
    data = sample_mass_mail(25)
    answer: list[object] = []

    def submit() -> None:
        with smtplib.SMTP("127.0.0.1", serve.port, timeout=120) as client:
            client.login("me", secret)
            answer.append(client.sendmail(DEMO_SENDER, recipients_of(data), data))

    client = threading.Thread(target=submit)
    client.start()
    held: list[dict[str, Any]] = []
    for _ in range(200):  # until the proxy has written it down
        held = json.loads(serve.cli("held", "list", "--json"))
        if held:
            break
        client.join(0.1)
    assert [h["state"] for h in held] == ["waiting"]
    assert "sent" in serve.cli("held", "release", str(held[0]["id"]), "--bcc")
    client.join(120)
    assert answer == [{}]  # every recipient accepted
    outbox = serve.home / "bccguard" / "demo-outbox"
    (delivered,) = sorted(outbox.glob("*.eml"))
    header = delivered.read_bytes().partition(b"\r\n\r\n")[0]
    assert b"libero.it" not in header
    envelope = json.loads(delivered.with_suffix(".json").read_text(encoding="utf-8"))
    assert sorted(envelope["rcpt_to"]) == sorted(recipients_of(data))
    assert serve.stop() == 0
    assert "Traceback" not in "".join(serve.output)


def frame(message: dict[str, Any]) -> bytes:
    payload = json.dumps(message).encode("utf-8")
    return struct.pack("=I", len(payload)) + payload


def replies(data: bytes) -> list[dict[str, Any]]:
    found = []
    while data:
        (size,) = struct.unpack("=I", data[:4])
        found.append(json.loads(data[4 : 4 + size]))
        data = data[4 + size :]
    return found


def test_native_host_and_install_thunderbird(
    install: Install, home: Path, wheels: Wheels
) -> None:
    direct = install.run(home, "native-host", stdin=frame({"type": "policy"}))
    assert direct.returncode == 0, direct.stderr
    assert replies(direct.stdout)[0]["policy"]["threshold"] == 10

    profile = home / "profile"
    profile.mkdir()
    done = install.run(home, "install-thunderbird", "--profile", str(profile))
    assert done.returncode == 0, done.stderr
    placed = profile / "extensions" / f"{EXTENSION_ID}.xpi"
    assert f"plugin: {placed}".encode() in done.stdout
    assert placed.read_bytes() == wheels.xpi.read_bytes()
    manifest_file = (
        home / ".mozilla" / "native-messaging-hosts" / "org.bccguard.native_host.json"
    )
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    # Thunderbird runs the launcher with the manifest's path and the add-on's id.
    launched = subprocess.run(
        [manifest["path"], str(manifest_file), EXTENSION_ID],
        input=frame({"type": "policy"}),
        env=install.env(home),
        cwd=home,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert launched.returncode == 0, launched.stderr
    assert replies(launched.stdout)[0]["policy"]["threshold"] == 10
    assert str(install.venv) in Path(manifest["path"]).read_text(encoding="utf-8")


def test_the_server_install_has_no_qt(
    installs: dict[str, Install], tmp_path: Path
) -> None:
    server = installs["server"]
    probe = subprocess.run(
        [server.python, "-c", "import PySide6"],
        env=server.env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 1
    assert "No module named 'PySide6'" in probe.stderr
    for args in ([], ["--demo"]):
        tray = server.run(tmp_path, *args, QT_QPA_PLATFORM="offscreen")
        assert tray.returncode == 2
        assert tray.stderr.decode() == SERVER_PACKAGE_LINE + "\n"
        assert tray.stdout == b""


def test_the_desktop_install_starts_the_tray_and_quits_cleanly(
    installs: dict[str, Install], tmp_path: Path
) -> None:
    desktop = installs["desktop"]
    home = tmp_path / "user"
    home.mkdir()
    (home / "bccguard").mkdir(mode=0o700)
    port = free_port()
    (home / "bccguard" / "config.toml").write_text(
        f"[proxy]\nport = {port}\n", encoding="utf-8"
    )
    quit_file = tmp_path / "quit-now"
    app = subprocess.Popen(
        [desktop.python, str(TRAY_DRIVER), str(quit_file)],
        env=desktop.env(home, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1"),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(STARTUP_LIMIT, app.kill)  # never hang on readline
    watchdog.start()
    try:
        assert app.stdout is not None
        shown = app.stdout.readline()
        watchdog.cancel()
        assert shown.startswith("TRAY "), shown + (
            app.stderr.read() if app.stderr else ""
        )
        status = request(home / "bccguard" / "control.json", "status", timeout=30)
        assert status["state"] == "guarding"
        assert status["port"] == port
        held = desktop.run(home, "held", "list")
        assert held.returncode == 0, held.stderr
        quit_file.touch()
        _, err = app.communicate(timeout=120)
    finally:
        watchdog.cancel()
        if app.poll() is None:
            app.kill()
            app.wait()
        for pipe in (app.stdout, app.stderr):
            if pipe is not None:
                pipe.close()
    assert "Fatal Python error" not in err
    assert "Traceback" not in err
    assert app.returncode == 0, err


def test_a_package_without_the_plugin_names_no_path_the_user_lacks(
    installs: dict[str, Install], tmp_path: Path
) -> None:
    server = installs["server"]
    (shipped,) = (server.venv / "lib").glob(
        "python*/site-packages/bccguard/_packaging/thunderbird/bccguard.xpi"
    )
    kept = tmp_path / "kept.xpi"
    shutil.move(shipped, kept)
    try:
        profile = tmp_path / "profile"
        profile.mkdir()
        done = server.run(tmp_path, "install-thunderbird", "--profile", str(profile))
    finally:
        shutil.move(kept, shipped)
    assert done.returncode == 2
    error = done.stderr.decode()
    assert "has no Thunderbird plugin in it" in error
    assert "build_xpi" not in error and "dist/" not in error
    assert error.count("\n") == 1
    assert not (profile / "extensions").exists()
