"""An Italian apology shows its subject as "Oggetto:", not an English "Subject:";
the parser takes either label, and keeps the one the template used."""

from __future__ import annotations

import pytest

from bccguard.core.apology import (
    ApologyError,
    available_templates,
    default_templates_dir,
    load_template,
    render,
    split_template,
)

VALUES = {
    "recipient_name": "Anna",
    "count": "25",
    "subject": "Auguri",
    "date": "12 marzo 2025",
    "sender_name": "Marco",
}


def test_oggetto_is_a_subject_line() -> None:
    assert split_template("Oggetto: Scuse\n\nCiao\n") == ("Scuse", "Ciao\n")
    rendered = render("Oggetto: Scuse per «{subject}»\n\nCiao\n", VALUES)
    assert rendered.subject == "Scuse per «Auguri»"
    assert rendered.text.startswith("Oggetto: Scuse per «Auguri»\n\n")


def test_english_keeps_subject() -> None:
    assert render("Subject: Sorry\n\nHello\n", VALUES).text.startswith("Subject: ")


@pytest.mark.parametrize("language", ["it"])
def test_italian_templates_say_oggetto(language: str) -> None:
    root = default_templates_dir()
    found = available_templates(root, language)
    assert found
    for situation, audience in found:
        text = load_template(root, language, situation, audience)
        assert text.startswith("Oggetto: "), (situation, audience)
        assert "Subject" not in render(text, VALUES).text


def test_another_first_line_is_refused_in_words() -> None:
    with pytest.raises(ApologyError, match="Oggetto"):
        split_template("Hello\n\nBody\n")
