"""The ``native-host`` and ``install-thunderbird`` subcommands."""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Any

from bccguard.native_host.manifest import SYSTEMS, ManifestError, find_xpi, install


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
    xpi = find_xpi()
    if xpi is None:
        print(
            "plugin: not built yet; run packaging/thunderbird/build_xpi.py, then "
            "install dist/bccguard.xpi in Thunderbird (Add-ons > Install from file)"
        )
    else:
        print(f"plugin: {xpi} (Thunderbird: Add-ons > Install Add-on From File)")
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
    installer.set_defaults(run=_cmd_install_thunderbird)
