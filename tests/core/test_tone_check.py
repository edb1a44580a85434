"""The tone check flags exactly the words that undermine an apology (en and it)."""

from __future__ import annotations

import pytest

from bccguard.core.tone_check import MAX_WORDS, ToneFinding, check_tone, word_count

GOOD_EN = (
    "Dear all,\n\nyesterday I sent my newsletter with everyone's address visible. "
    "That was my mistake and I am sorry. I have since set up a check that stops "
    "such messages. If you have any concern, write to me directly.\n\nAnna\n"
)
GOOD_IT = (
    "Buongiorno a tutti,\n\nieri ho inviato la newsletter con gli indirizzi di tutti "
    "visibili. È stato un mio errore e me ne scuso. Ora uso un controllo che blocca "
    "questi messaggi. Per qualsiasi dubbio scrivetemi direttamente.\n\nAnna\n"
)


def flagged(text: str) -> list[tuple[str, str]]:
    """Each finding as (rule, the exact text of its span)."""
    return [(f.rule, text[f.start : f.end]) for f in check_tone(text)]


@pytest.mark.parametrize("text", [GOOD_EN, GOOD_IT])
def test_a_good_apology_passes(text: str) -> None:
    assert check_tone(text) == []


def test_english_bad_apology_is_flagged_word_by_word() -> None:
    text = (
        "I'm sorry, but the system sent it. However, I was busy. "
        "If anyone was offended, talk to IT."
    )
    assert flagged(text) == [
        ("but-after-apology", "but"),
        ("blaming-others", "the system"),
        ("but-after-apology", "However"),
        ("excuse", "I was busy"),
        ("conditional-apology", "If anyone was offended"),
        ("blaming-others", "IT"),
    ]


def test_italian_bad_apology_is_flagged_word_by_word() -> None:
    text = (
        "Mi scuso, ma è colpa di Outlook: ero di fretta. Tuttavia il sistema "
        "ha sbagliato. Se qualcuno si è sentito offeso, però, non era mia intenzione."
    )
    assert flagged(text) == [
        ("but-after-apology", "ma"),
        ("blaming-others", "colpa di"),
        ("excuse", "ero di fretta"),
        ("but-after-apology", "Tuttavia"),
        ("blaming-others", "il sistema"),
        ("conditional-apology", "Se qualcuno si è sentito offeso"),
        ("but-after-apology", "però"),
    ]


def test_spans_are_exact_positions() -> None:
    text = "Sorry!  But my assistant did it."
    findings = check_tone(text)
    assert findings == [
        ToneFinding(
            "but-after-apology",
            8,
            11,
            "A \u201cbut\u201d after an apology takes it back: leave it out.",
        ),
        ToneFinding(
            "blaming-others",
            12,
            24,
            "Do not blame others or the tools: take responsibility.",
        ),
    ]
    assert findings[1].span == (12, 24)


def test_but_before_the_apology_is_not_flagged() -> None:
    text = "It was not only careless but wrong, and I apologise."
    assert flagged(text) == []


def test_words_are_matched_whole() -> None:
    # "butter", "mamma", "it" (lower case) and "Italia" are not the flagged words.
    text = "Sorry: butter, mamma, it, Italia, Emma, maybe."
    assert flagged(text) == []


def test_phrases_allow_any_spacing_and_case() -> None:
    text = "Sorry.\nif  YOU were\noffended, sorry again."
    assert flagged(text) == [("conditional-apology", "if  YOU were\noffended")]


def test_se_vi_siete_sentiti_offesi() -> None:
    text = "Vi chiedo scusa se vi siete sentiti offesi."
    assert flagged(text) == [("conditional-apology", "se vi siete sentiti offesi")]


@pytest.mark.parametrize(
    "text",
    ["I made a mistake with the addresses.", "Ho sbagliato a inviare gli indirizzi."],
)
def test_no_apology_word_at_all(text: str) -> None:
    (finding,) = check_tone(text)
    assert finding.rule == "no-apology"
    assert finding.span == (0, 0)


@pytest.mark.parametrize(
    "text",
    ["I apologise.", "My apologies.", "Mi dispiace.", "Chiedo scusa.", "Scusate."],
)
def test_apology_words_in_both_languages(text: str) -> None:
    assert check_tone(text) == []


def test_too_long_flags_from_the_first_word_over_the_limit() -> None:
    words = ["word"] * (MAX_WORDS + 5)
    words[MAX_WORDS] = "extra"
    text = "I am sorry. " + " ".join(words[3:])
    (finding,) = check_tone(text)
    assert finding.rule == "too-long"
    assert text[finding.start :].startswith("extra")
    assert finding.end == len(text)
    assert str(MAX_WORDS + 5) in finding.message


def test_exactly_the_limit_is_fine() -> None:
    text = "Sorry " + " ".join(["word"] * (MAX_WORDS - 1))
    assert word_count(text) == MAX_WORDS
    assert check_tone(text) == []


def test_word_count_keeps_contractions_and_hyphens_whole() -> None:
    assert word_count("I'm sorry: don't reply-all to the e-mail.") == 7
