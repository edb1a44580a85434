"""The Thunderbird plugin's _locales say what the desktop app says, in both languages.

The plugin keeps its own catalogue (``plugin/_locales/<lang>/messages.json``,
``$1`` placeholders); where it shows the same thing as the desktop app (a button,
a setting, the hold headline), the English texts must agree
and so must the Italian ones.
"""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.catalog import Catalog

from tests.i18n.catalogue_files import ROOT, italian

LOCALES = ROOT / "plugin" / "_locales"


# Plugin message -> the desktop's catalogue entry (a plural is compared by its
# plural form, which the plugin, without plurals, always uses) and the desktop's
# placeholders in the order of the plugin's $1, $2, ...
SAME_TEXT: dict[str, tuple[str | tuple[str, str], tuple[str, ...]]] = {
    "buttonConvert": ("Convert to Bcc and send", ()),
    "buttonSendAsIs": ("Send as is", ()),
    "actionAsk": ("Ask me", ()),
    "actionConvert": ("Convert to Bcc and send without asking", ()),
    "optionAction": ("When a message is held:", ()),
    "optionThreshold": (
        "Hold a message when more than this many people would see each other:",
        (),
    ),
    "optionSave": ("Save", ()),
    "holdHeadline": (
        (
            "{n} person would see the others' e-mail addresses",
            "{n} people would see each other's e-mail address",
        ),
        ("n",),
    ),
}


def _plugin(language: str) -> dict[str, str]:
    data = json.loads((LOCALES / language / "messages.json").read_text("utf-8"))
    return {key: entry["message"] for key, entry in data.items()}


def _normal(text: str, names: tuple[str, ...]) -> str:
    """Both notations as <1>, <2>...; a form label's closing colon left out."""
    text = re.sub(r"\$(\d+)", r"<\1>", text)
    for position, name in enumerate(names, 1):
        text = text.replace(f"{{{name}}}", f"<{position}>")
    return text.strip().removesuffix(":")


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    return italian()


def _desktop(catalogue: Catalog, msgid: str | tuple[str, str]) -> tuple[str, str]:
    """The desktop's English and Italian for an entry (plural: the plural forms)."""
    message = catalogue.get(msgid)
    assert message is not None, f"not in the desktop catalogue: {msgid!r}"
    if isinstance(msgid, tuple):
        return msgid[1], message.string[1]
    return msgid, message.string


@pytest.mark.parametrize("key", sorted(SAME_TEXT))
def test_plugin_and_desktop_say_the_same(catalogue: Catalog, key: str) -> None:
    msgid, names = SAME_TEXT[key]
    english, italian_text = _desktop(catalogue, msgid)
    plugin_en, plugin_it = _plugin("en"), _plugin("it")
    assert _normal(plugin_en[key], names) == _normal(english, names), key
    assert _normal(plugin_it[key], names) == _normal(italian_text, names), key


def test_both_plugin_languages_have_the_same_messages() -> None:
    english, italian_texts = _plugin("en"), _plugin("it")
    assert set(english) == set(italian_texts)
    for key, text in english.items():
        assert set(re.findall(r"\$\d+", text)) == set(
            re.findall(r"\$\d+", italian_texts[key])
        ), key


def test_the_comparison_sees_a_difference() -> None:
    names = ("n",)
    assert _normal("$1 persone", names) == _normal("{n} persone", names)
    assert _normal("$1 persone", names) != _normal("{n} destinatari", names)
