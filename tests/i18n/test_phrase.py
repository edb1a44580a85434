"""Phrases: English text that the edge can say again in the user's language."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator

import pytest

from bccguard.core.phrase import Phrase, joined, nphrase
from bccguard.i18n import set_language, tr_error, tr_phrase
from bccguard.service.errors import GuardError


@pytest.fixture
def italian() -> Iterator[None]:
    set_language("it")
    yield
    set_language("en")


def test_a_phrase_is_its_english_text() -> None:
    phrase = Phrase("not a message: {why}", why=Phrase("it is empty"))
    assert phrase == "not a message: it is empty"
    assert json.dumps([phrase]) == '["not a message: it is empty"]'
    assert pickle.loads(pickle.dumps(phrase)) == phrase


def test_nphrase_chooses_the_english_form() -> None:
    one = nphrase("{n} domain", "{n} domains", 1)
    many = nphrase("{n} domain", "{n} domains", 3)
    assert (one, many) == ("1 domain", "3 domains")


def test_the_edge_translates_nested_and_joined_phrases(italian: None) -> None:
    reason = nphrase(
        "{n} recipient from {domains} would see each other's address "
        "(more than {threshold})",
        "{n} recipients from {domains} would see each other's address "
        "(more than {threshold})",
        12,
        domains=nphrase("{n} domain", "{n} domains", 1),
        threshold=10,
    )
    assert tr_phrase(reason) == (
        "12 destinatari di 1 dominio vedrebbero l'indirizzo l'uno dell'altro "
        "(più di 10)"
    )
    both = joined("; ", [Phrase("it is empty"), "To"])
    assert both == "it is empty; To"
    assert tr_phrase(both) == "è vuoto; To"


def test_a_plain_string_passes_through(italian: None) -> None:
    assert tr_phrase("p0@d0.example — 550 5.1.1 unknown") == (
        "p0@d0.example — 550 5.1.1 unknown"
    )


def test_a_guard_error_is_said_in_italian(italian: None) -> None:
    error = GuardError(Phrase("no held message {id}", id="abcd1234"))
    assert str(error) == "no held message abcd1234"
    assert tr_error(error) == "nessun messaggio trattenuto abcd1234"
    assert tr_error(ValueError("plain")) == "plain"


def test_a_language_without_a_catalogue_is_english(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert set_language("xx") == "en"
    assert "no xx translation" in caplog.text
    assert tr_error(GuardError(Phrase("no held message {id}", id="a1"))) == (
        "no held message a1"
    )
