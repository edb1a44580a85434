"""The Italian catalogue is complete, compiled, and has every string the code marks."""

from __future__ import annotations

import ast
import gettext
import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from tests.i18n.catalogue_files import (
    MO,
    ROOT,
    catalogue_tool,
    extracted,
    italian,
    messages,
    placeholders,
)

SOURCE = ROOT / "desktop" / "bccguard"


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    return italian()


@pytest.fixture(scope="module")
def marked() -> dict[str | tuple[str, ...], str]:
    return extracted()


def test_plural_forms_are_italian(catalogue: Catalog) -> None:
    assert catalogue.num_plurals == 2
    assert catalogue.plural_expr == "(n != 1)"


def test_every_message_has_an_italian_translation(catalogue: Catalog) -> None:
    untranslated = [
        m.id
        for m in messages(catalogue)
        if m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert not untranslated, "untranslated or fuzzy in it.po:\n" + "\n".join(
        f"  {text!r}" for text in untranslated
    )


def test_translations_keep_the_placeholders(catalogue: Catalog) -> None:
    wrong = []
    for m in messages(catalogue):
        if isinstance(m.id, tuple):
            english = placeholders(m.id[0]) | placeholders(m.id[1])
            for form in m.string:
                # A form may leave out {n} ("un destinatario"), nothing else.
                if not english - {"n"} <= placeholders(form) <= english:
                    wrong.append((m.id, form))
        elif placeholders(m.id) != placeholders(m.string):
            wrong.append((m.id, m.string))
    assert not wrong, f"placeholders differ: {wrong}"


def _entries(mo: bytes) -> dict[object, str]:
    """What gettext reads from a compiled catalogue (header included)."""
    return dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)  # type: ignore[attr-defined]


def test_the_committed_mo_is_the_compiled_po(catalogue: Catalog) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    # Compared as gettext reads them, so another Babel's byte layout is no change.
    assert _entries(MO.read_bytes()) == _entries(compiled.getvalue()), (
        "bccguard.mo is not it.po compiled: run "
        "python packaging/i18n/catalogue.py compile"
    )


def test_extraction_finds_each_kind_of_call(
    marked: dict[str | tuple[str, ...], str],
) -> None:
    assert "Convert to Bcc and send" in marked  # tr()
    assert ("Sent to {n} recipient", "Sent to {n} recipients") in marked  # ntr()
    assert "Guarding your outgoing mail" in marked  # N_() in the tray's table
    assert "must be {low}–{high}" in marked  # SettingsError's template
    assert "the threshold must be 0 or more" in marked  # PolicyError's template


def test_every_marked_string_is_in_the_catalogue(
    catalogue: Catalog, marked: dict[str | tuple[str, ...], str]
) -> None:
    ids = {m.id for m in messages(catalogue)}
    missing = {text: where for text, where in marked.items() if text not in ids}
    assert not missing, (
        "not in it.po (run python packaging/i18n/catalogue.py update, translate, "
        "compile):\n"
        + "\n".join(
            f"  {where}: {text!r}" for text, where in sorted(missing.items(), key=str)
        )
    )


def test_no_stale_entries(
    catalogue: Catalog, marked: dict[str | tuple[str, ...], str]
) -> None:
    stale = [m.id for m in messages(catalogue) if m.id not in marked]
    assert not stale, f"it.po has strings the code no longer uses: {stale}"


def _unmarked_table_values(tree: ast.Module) -> list[str]:
    """Literal values of module-level ``*_TEXT`` tables not wrapped in ``N_()``."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if any(n.endswith("_TEXT") for n in names):
                found += [
                    v.value
                    for v in node.value.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                ]
    return found


def test_text_tables_mark_their_words() -> None:
    unmarked = {
        str(path.relative_to(ROOT)): values
        for path in sorted((SOURCE / "ui").glob("*.py"))
        if (values := _unmarked_table_values(ast.parse(path.read_text("utf-8"))))
    }
    assert not unmarked, f"wrap these table values in N_(): {unmarked}"


def test_a_new_unmarked_string_would_fail(tmp_path: Path) -> None:
    """The extraction the checks rely on sees a new call, so a new string fails."""
    (tmp_path / "window.py").write_text(
        'from bccguard.i18n import tr\nlabel = tr("A brand-new label")\n',
        encoding="utf-8",
    )
    assert "A brand-new label" in extracted(tmp_path)
    assert "A brand-new label" not in {m.id for m in messages(italian())}


def _formatted_templates(
    tree: ast.AST, positions: dict[str, tuple[int, ...]]
) -> list[int]:
    """Lines where a template argument is an f-string (never in the catalogue)."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        for position in positions.get(name, ()):
            if len(node.args) >= position and isinstance(
                node.args[position - 1], ast.JoinedStr
            ):
                lines.append(node.lineno)
    return lines


def test_no_template_is_an_f_string() -> None:
    """``tr(f"...")`` cannot be translated: the text must be a literal with
    ``{name}`` placeholders and the values given as arguments."""
    positions: dict[str, tuple[int, ...]] = {}
    for spec in catalogue_tool().KEYWORDS:
        name, _, numbers = spec.partition(":")
        positions[name] = tuple(int(n) for n in numbers.split(",")) if numbers else (1,)
    found = {
        str(path.relative_to(ROOT)): lines
        for path in sorted(SOURCE.rglob("*.py"))
        if (
            lines := _formatted_templates(ast.parse(path.read_text("utf-8")), positions)
        )
    }
    assert not found, f"f-strings given as a template: {found}"
    assert _formatted_templates(ast.parse('tr(f"Hi {name}")'), positions) == [1]
