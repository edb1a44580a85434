"""The ``native-host`` and ``install-thunderbird`` subcommands."""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Any

from bccguard.i18n import tr
from bccguard.native_host.manifest import SYSTEMS, ManifestError, install


def _cmd_native_host(args: argparse.Namespace) -> int:
    from bccguard.native_host.host import main  # noqa: PLC0415 (keeps --help fast)

    return main()


def _cmd_install_thunderbird(args: argparse.Namespace) -> int:
    from bccguard.adapters import paths  # noqa: PLC0415

    try:
        done = install(args.system, user_home=Path.home(), data_dir=paths.home())
    except (ManifestError, OSError) as error:
        print(f"bccguard install-thunderbird: {error}", file=sys.stderr)
        return 2
    print(f"native host manifest: {done.manifest}")
    print(f"launcher: {done.launcher}")
    if done.registry_key:
        print(f"registry key: {done.registry_key}")
    return _install_plugin(args.profile)


def _install_plugin(profile: Path | None) -> int:
    """Side-load the plugin into ``profile`` (default: Thunderbird's default one)."""
    from bccguard.adapters.thunderbird_addon import (  # noqa: PLC0415
        AddonError,
        find_xpi,
        side_load,
    )
    from bccguard.adapters.thunderbird_profile import (  # noqa: PLC0415
        ThunderbirdProfileError,
        default_profile,
    )

    try:
        xpi = find_xpi()
        if profile is None:
            try:
                profile = default_profile()
            except ThunderbirdProfileError as error:
                print(
                    tr(
                        "plugin: {path} (no Thunderbird profile found: {error}; "
                        "start Thunderbird once and run this again, or install the "
                        "file in Thunderbird under Add-ons and Themes > Install "
                        "Add-on From File)",
                        path=xpi,
                        error=error,
                    )
                )
                return 0
        placed = side_load(xpi, profile)
    except AddonError as error:
        print(
            tr("bccguard install-thunderbird: plugin: {error}", error=error),
            file=sys.stderr,
        )
        return 2
    print(
        tr(
            "plugin: {path} (restart Thunderbird and allow BccGuard when it asks "
            "about the new add-on)",
            path=placed,
        )
    )
    return 0


def add_native_commands(commands: Any) -> None:
    """Register ``native-host`` and ``install-thunderbird`` on argparse subparsers."""
    host = commands.add_parser(
        "native-host", help="the Thunderbird plugin's native messaging host"
    )
    # Thunderbird passes the manifest path and the extension id; both are ignored.
    host.add_argument("thunderbird_args", nargs="*", help=argparse.SUPPRESS)
    host.set_defaults(run=_cmd_native_host)

    installer = commands.add_parser(
        "install-thunderbird",
        help="register the native host so the Thunderbird plugin finds this app",
    )
    installer.add_argument(
        "--system",
        choices=SYSTEMS,
        default=platform.system(),
        help="the operating system to write for (default: this one)",
    )
    installer.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="the Thunderbird profile to add the plugin to (default: Thunderbird's "
        "default profile)",
    )
    installer.set_defaults(run=_cmd_install_thunderbird)
