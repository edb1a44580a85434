"""Build dist/bccguard.xpi from the plugin's explicit file list, reproducibly.

The archive holds manifest.json at its root and exactly the files named in
xpi-files.txt, in that order, each with the same fixed timestamp and mode, so the same
sources always give the same bytes.

    python packaging/thunderbird/build_xpi.py [--output dist/bccguard.xpi]
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PLUGIN = ROOT / "plugin"
FILE_LIST = HERE / "xpi-files.txt"
EXCLUDED_LIST = HERE / "xpi-excluded.txt"  # in plugin/, deliberately not shipped
DEFAULT_OUTPUT = ROOT / "dist" / "bccguard.xpi"
TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold


class BuildError(Exception):
    """The file list and the plugin folder disagree."""


def _names(file_list: Path) -> list[str]:
    names = []
    for line in file_list.read_text(encoding="utf-8").splitlines():
        name = line.strip()
        if name and not name.startswith("#"):
            names.append(name)
    return names


def listed_files(file_list: Path = FILE_LIST) -> list[str]:
    """The plugin-relative paths in the list (comments and blank lines skipped)."""
    names = _names(file_list)
    if "manifest.json" not in names:
        raise BuildError("manifest.json is not in the file list")
    return names


def excluded_files(file_list: Path = EXCLUDED_LIST) -> list[str]:
    """The plugin-relative paths that stay out of the release (type checking only)."""
    return _names(file_list)


def build(output: Path = DEFAULT_OUTPUT, plugin: Path = PLUGIN) -> Path:
    """Write the .xpi; returns its path."""
    names = listed_files()
    missing = [n for n in names if not (plugin / n).is_file()]
    if missing:
        raise BuildError(f"listed but missing in plugin/: {', '.join(missing)}")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".xpi.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ["manifest.json", *(n for n in names if n != "manifest.json")]:
            info = zipfile.ZipInfo(name, date_time=TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, (plugin / name).read_bytes())
    tmp.replace(output)
    return output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    try:
        print(build(args.output))
    except (BuildError, OSError) as error:
        print(f"build_xpi: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
