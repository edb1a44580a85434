"""The catalogue under test and the extraction the catalogue tool uses."""

from __future__ import annotations

import importlib.util
import string
from pathlib import Path
from types import ModuleType

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "resources" / "locale" / "it" / "LC_MESSAGES" / "bccguard.po"
MO = PO.with_suffix(".mo")


def catalogue_tool() -> ModuleType:
    """``packaging/i18n/catalogue.py``: its keywords and mapping are the ones used."""
    path = ROOT / "packaging" / "i18n" / "catalogue.py"
    spec = importlib.util.spec_from_file_location("bccguard_catalogue_tool", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def italian() -> Catalog:
    with PO.open("rb") as file:
        return read_po(file)


def messages(catalogue: Catalog) -> list[Message]:
    """The entries, without the header."""
    return [m for m in catalogue if m.id]


def extracted(source: Path | None = None) -> dict[str | tuple[str, ...], str]:
    """Every string the source marks for translation, and the first file using it."""
    tool = catalogue_tool()
    keywords: dict[str, tuple[int, ...] | None] = {}
    for spec in tool.KEYWORDS:
        name, _, positions = spec.partition(":")
        keywords[name] = (
            tuple(int(p) for p in positions.split(",")) if positions else None
        )
    with tool.MAPPING.open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str | tuple[str, ...], str] = {}
    for filename, _, message, _, _ in extract_from_dir(
        str(source or tool.SOURCE),
        method_map,
        options_map,
        keywords=keywords,
        comment_tags=(),
        strip_comment_tags=True,
    ):
        found.setdefault(message, filename)
    return found


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a format string."""
    return {
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(text)
        if name is not None
    }
