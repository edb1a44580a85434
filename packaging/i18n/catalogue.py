"""Manage BccGuard's gettext catalogue with Babel (a development tool, not run time).

    python packaging/i18n/catalogue.py update    # extract, then merge into each .po
    python packaging/i18n/catalogue.py compile   # .po -> .mo (commit both)
    python packaging/i18n/catalogue.py init LANG # start a new language

``update`` leaves new strings empty (and near matches fuzzy) in each ``.po``:
translate them, clear the fuzzy flag, then ``compile``. The tests fail while a
string is untranslated or the ``.mo`` is older than its ``.po``.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "desktop" / "bccguard"
LOCALE = ROOT / "resources" / "locale"
MAPPING = Path(__file__).with_name("babel.cfg")
DOMAIN = "bccguard"
# The functions whose literal arguments are catalogue entries, in Babel's notation
# (name:argument positions; two positions are a singular and a plural).
KEYWORDS = (
    "tr",
    "ntr:1,2",
    "N_",
    "Phrase",
    "nphrase:1,2",
    "SettingsError:2",  # SettingsError(path, problem, values)
    "PolicyError",
)


def _pybabel(*arguments: str) -> None:
    # From the project's root, so the catalogue names files by relative paths.
    with contextlib.chdir(ROOT):
        CommandLineInterface().run(["pybabel", "-q", *arguments])


def extract(pot: Path) -> None:
    """Write every translatable string of the source to the template ``pot``."""
    keywords = [f"--keyword={k}" for k in KEYWORDS]
    _pybabel(
        "extract",
        "--no-default-keywords",
        *keywords,
        f"--mapping-file={MAPPING}",
        "--add-location=file",  # not lines: the catalogue stays put as code moves
        "--sort-by-file",
        "--project=BccGuard",
        "--copyright-holder=BccGuard contributors",
        f"--output-file={pot}",
        str(SOURCE.relative_to(ROOT)),
    )


def main(argv: list[str]) -> int:
    """Run one command: update, compile or init LANG."""
    command = argv[0] if argv else ""
    with tempfile.TemporaryDirectory() as temp:
        pot = Path(temp) / f"{DOMAIN}.pot"
        if command == "update":
            extract(pot)
            _pybabel(
                "update",
                "--no-wrap",
                "--ignore-obsolete",
                f"--input-file={pot}",
                f"--output-dir={LOCALE}",
                f"--domain={DOMAIN}",
            )
            return 0
        if command == "init" and len(argv) == 2:
            extract(pot)
            _pybabel(
                "init",
                "--no-wrap",
                f"--input-file={pot}",
                f"--output-dir={LOCALE}",
                f"--domain={DOMAIN}",
                f"--locale={argv[1]}",
            )
            return 0
    if command == "compile":
        _pybabel(
            "compile", "--statistics", f"--directory={LOCALE}", f"--domain={DOMAIN}"
        )
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
