"""Every English string the UI shows has an Italian translation, placeholders kept."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import pytest

import bccguard.ui
from bccguard.core.held import HeldState
from bccguard.ui import held_window

UI = Path(bccguard.ui.__file__).parent
PACKAGE = UI.parent
# Errors whose English template the UI translates, and where the template is:
# the argument at that position of each call.
TRANSLATED_ERRORS = {"SettingsError": 1, "PolicyError": 0}
ERROR_SOURCES = ("core/settings.py", "core/policy.py", "adapters/settings_file.py")
CATALOGUE = Path(__file__).parents[2] / "resources" / "translations" / "it.json"


# The literal arguments that are catalogue entries: tr(text), ntr(singular, plural, n).
TRANSLATED_ARGUMENTS = {"tr": 1, "ntr": 2}


def _tr_literals(tree: ast.AST) -> set[str]:
    """The texts of every ``tr("...")`` and ``ntr("...", "...", n)`` call."""
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in TRANSLATED_ARGUMENTS
        ):
            for argument in node.args[: TRANSLATED_ARGUMENTS[node.func.id]]:
                if isinstance(argument, ast.Constant) and isinstance(
                    argument.value, str
                ):
                    found.add(argument.value)
    return found


def _text_tables(tree: ast.Module) -> set[str]:
    """Values of module-level ``*_TEXT = {...}`` tables (shown via ``tr(table[k])``)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if any(n.endswith("_TEXT") for n in names):
                found |= {
                    v.value
                    for v in node.value.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                }
    return found


def _error_templates(tree: ast.AST) -> set[str]:
    """The English templates of the errors the UI shows translated."""
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in TRANSLATED_ERRORS
        ):
            position = TRANSLATED_ERRORS[node.func.id]
            argument = node.args[position] if len(node.args) > position else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
    return found


def _sources() -> dict[str, str]:
    """Each English string and the module that uses it first."""
    strings: dict[str, str] = {}
    for path in sorted(UI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for text in sorted(_tr_literals(tree) | _text_tables(tree)):
            strings.setdefault(text, path.name)
    for name in ERROR_SOURCES:
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        for text in sorted(_error_templates(tree)):
            strings.setdefault(text, name)
    return strings


def _placeholders(text: str) -> set[str]:
    return {
        name for _, name, _, _ in string.Formatter().parse(text) if name is not None
    }


@pytest.fixture(scope="module")
def italian() -> dict[str, str]:
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_scan_finds_the_ui_strings() -> None:
    strings = _sources()
    assert "Convert to Bcc and send" in strings
    assert "Guarding your outgoing mail" in strings  # from tray's state table
    assert "Partly sent" in strings  # from held_window's state table
    assert "Sent to {n} recipients" in strings  # the plural of an ntr() call
    assert "must be {low}–{high}" in strings  # a settings error template


def test_every_held_state_has_words() -> None:
    assert set(held_window._STATE_TEXT) == set(HeldState)


def test_every_ui_string_is_translated(italian: dict[str, str]) -> None:
    missing = {s: where for s, where in _sources().items() if not italian.get(s)}
    assert not missing, "missing from it.json:\n" + "\n".join(
        f"  {where}: {text!r}" for text, where in sorted(missing.items())
    )


def test_placeholders_match(italian: dict[str, str]) -> None:
    wrong = {
        english: italian_text
        for english, italian_text in italian.items()
        if _placeholders(english) != _placeholders(italian_text)
    }
    assert not wrong, f"placeholders differ: {wrong}"


def test_no_stale_entries(italian: dict[str, str]) -> None:
    stale = sorted(set(italian) - set(_sources()))
    assert not stale, f"it.json has strings the UI no longer uses: {stale}"
