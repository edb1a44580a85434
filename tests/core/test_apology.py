"""Apology templates: strict rendering, both languages, and the messages they build."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses

import pytest

from bccguard.adapters.smtp_relay import SmtpRelay
from bccguard.core.apology import (
    LANGUAGES,
    PLACEHOLDERS,
    ApologyError,
    Audience,
    PlaceholderError,
    Sender,
    apology_values,
    available_templates,
    build_group,
    build_individual,
    default_templates_dir,
    fill,
    format_date,
    guess_name,
    load_template,
    placeholders_in,
    render,
    split_template,
)
from bccguard.core.incidents import Incident, IncidentKind
from bccguard.core.tone_check import check_tone
from tests.smtp_sink import SinkServer

T0 = 1_734_000_000.0  # 12 December 2024
PEOPLE = [f"person{i}@d{i % 3}.example" for i in range(7)] + ["mario.rossi@libero.it"]
ANNA = Sender("anna@studio.example", "Anna Ferri")
TEMPLATES = default_templates_dir()


@pytest.fixture
def incident() -> Incident:
    return Incident.new(
        IncidentKind.SENT_AS_IS,
        T0,
        exposed=PEOPLE,
        message_id="<orig-1@studio.example>",
        subject="Auguri di Natale",
        sender=ANNA.address,
    )


def parse(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def addresses(message: EmailMessage, name: str) -> list[str]:
    return [addr for _, addr in getaddresses(message.get_all(name, []))]


ALL_TEMPLATES = [
    (language, situation, audience)
    for language in LANGUAGES
    for situation, audience in available_templates(TEMPLATES, language)
]


def test_every_situation_exists_in_both_languages() -> None:
    english = available_templates(TEMPLATES, "en")
    assert english == available_templates(TEMPLATES, "it")
    assert ("addresses-exposed", Audience.GROUP) in english
    assert ("addresses-exposed", Audience.INDIVIDUAL) in english
    assert ("reply-all", Audience.GROUP) in english
    assert ("complaint", Audience.INDIVIDUAL) in english


@pytest.mark.parametrize(("language", "situation", "audience"), ALL_TEMPLATES)
def test_shipped_templates_render_and_pass_the_tone_check(
    incident: Incident, language: str, situation: str, audience: Audience
) -> None:
    text = load_template(TEMPLATES, language, situation, audience)
    assert set(placeholders_in(text)) <= PLACEHOLDERS
    assert check_tone(text) == []
    values = apology_values(
        incident, sender_name="Anna Ferri", language=language, recipient_name="Mario"
    )
    rendered = render(text, values)
    assert "{" not in rendered.text
    assert "}" not in rendered.text
    assert rendered.body.rstrip().endswith("Anna Ferri")
    if audience is Audience.INDIVIDUAL:
        assert "Mario" in rendered.body


def test_english_group_apology_reads_right(incident: Incident) -> None:
    text = load_template(TEMPLATES, "en", "addresses-exposed", Audience.GROUP)
    rendered = render(text, apology_values(incident, sender_name="Anna", language="en"))
    assert rendered.subject == "Apology: your e-mail address was visible to others"
    assert 'On 12 December 2024 I sent you the message "Auguri di Natale"' in (
        rendered.body
    )
    assert "all 8 recipients" in rendered.body


def test_italian_group_apology_reads_right(incident: Incident) -> None:
    text = load_template(TEMPLATES, "it", "addresses-exposed", Audience.GROUP)
    rendered = render(text, apology_values(incident, sender_name="Anna", language="it"))
    assert rendered.subject.startswith("Le mie scuse")
    assert 'il 12 dicembre 2024 vi ho inviato il messaggio "Auguri di Natale"' in (
        rendered.body
    )
    assert "tutti i destinatari: 8 persone." in rendered.body


def test_no_subject_is_said_in_the_language() -> None:
    blank = Incident.new(IncidentKind.SENT_AS_IS, T0, exposed=PEOPLE)
    assert apology_values(blank, sender_name="A", language="it")["subject"] == (
        "(senza oggetto)"
    )
    assert apology_values(blank, sender_name="A", language="en")["subject"] == (
        "(no subject)"
    )


@pytest.mark.parametrize(
    ("language", "text"), [("en", "3 March 2025"), ("it", "3 marzo 2025")]
)
def test_format_date(language: str, text: str) -> None:
    assert format_date(1_741_000_000.0, language) == text


# -- strict placeholders -------------------------------------------------------


def test_fill_replaces_every_placeholder_and_keeps_escaped_braces() -> None:
    assert fill("{count} people {{not a placeholder}}", {"count": "3"}) == (
        "3 people {not a placeholder}"
    )


def test_a_missing_value_is_an_error_naming_it() -> None:
    with pytest.raises(PlaceholderError, match=r"no value for placeholder \{date\}"):
        fill("Sent on {date}.", {"count": "3"})


def test_a_blank_value_counts_as_missing() -> None:
    with pytest.raises(PlaceholderError) as caught:
        fill("Dear {recipient_name},", {"recipient_name": "  "})
    assert caught.value.name == "recipient_name"


def test_an_unknown_placeholder_is_an_error_naming_it() -> None:
    with pytest.raises(
        PlaceholderError, match=r"unknown placeholder \{recipent_name\}"
    ):
        fill("Dear {recipent_name},", {"recipient_name": "Mario"})


@pytest.mark.parametrize(
    "text", ["{subject.__class__}", "{0}", "{count!r}", "{count:>10}", "{}"]
)
def test_format_tricks_are_unknown_placeholders(text: str) -> None:
    with pytest.raises(PlaceholderError, match="unknown placeholder"):
        fill(text, {"subject": "x", "count": "1"})


@pytest.mark.parametrize("text", ["a { b", "a } b", "{count"])
def test_an_unmatched_brace_is_an_error(text: str) -> None:
    with pytest.raises(PlaceholderError, match="unmatched"):
        fill(text, {"count": "1"})


def test_errors_give_the_line_and_position_in_the_whole_template() -> None:
    text = "Subject: About {subject}\n\nHello,\nsee {nope}\n"
    with pytest.raises(PlaceholderError, match="on line 4") as caught:
        render(text, {"subject": "x"})
    assert text[caught.value.position :].startswith("{nope}")
    with pytest.raises(PlaceholderError, match="on line 1") as caught:
        render(text, {})
    assert text[caught.value.position :].startswith("{subject}")


def test_the_first_line_must_be_the_subject() -> None:
    with pytest.raises(ApologyError, match="Subject"):
        split_template("Dear all,\n\nsorry\n")
    assert split_template("Subject:  Sorry \n\n\nBody\n\n") == ("Sorry", "Body\n")


def test_line_breaks_in_values_never_reach_the_subject() -> None:
    rendered = render("Subject: Re: {subject}\n\n{subject}\n", {"subject": "a\r\nb"})
    assert rendered.subject == "Re: a b"


def test_a_missing_template_is_an_error() -> None:
    with pytest.raises(ApologyError, match="no individual template for 'reply-all'"):
        load_template(TEMPLATES, "en", "reply-all", Audience.INDIVIDUAL)


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("mario.rossi@libero.it", "Mario Rossi"),
        ("anna_bianchi@x.it", "Anna Bianchi"),
        ("info2024@x.it", "info2024@x.it"),
    ],
)
def test_guess_name(address: str, name: str) -> None:
    assert guess_name(address) == name


# -- messages ----------------------------------------------------------------------


def test_group_apology_is_one_message_with_nobody_visible(incident: Incident) -> None:
    text = load_template(TEMPLATES, "it", "addresses-exposed", Audience.GROUP)
    out = build_group(text, incident, ANNA, "it", T0 + 3600)
    assert out.recipients == tuple(PEOPLE)
    assert out.mail_from == ANNA.address
    message = parse(out.data)
    assert addresses(message, "To") == [ANNA.address]
    assert message.get_all("Cc") is None
    assert message.get_all("Bcc") is None  # the envelope carries them
    assert message["In-Reply-To"] == "<orig-1@studio.example>"
    assert message["References"] == "<orig-1@studio.example>"
    assert message["Message-ID"] == out.message_id
    assert out.message_id.endswith("@studio.example>")
    assert message["Date"].datetime.timestamp() == T0 + 3600
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "È stato un mio errore" in body
    assert body.rstrip().endswith("Anna Ferri")
    assert out.data.isascii()  # encoded: any server takes it


def test_group_draft_form_lists_everyone_in_bcc(incident: Incident) -> None:
    text = load_template(TEMPLATES, "en", "addresses-exposed", Audience.GROUP)
    out = build_group(text, incident, ANNA, "en", T0)
    draft = parse(out.draft)
    assert addresses(draft, "Bcc") == PEOPLE
    assert addresses(draft, "To") == [ANNA.address]
    assert draft["Message-ID"] == out.message_id


def test_non_ascii_names_and_subject_are_encoded_words(incident: Incident) -> None:
    text = "Subject: Scuse per «{subject}»\n\nCiao,\nmi scuso.\n{sender_name}\n"
    out = build_group(
        text, incident, Sender("anna@x.example", "Niccolò Ferrà"), "it", T0
    )
    raw_header = out.data.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in raw_header
    message = parse(out.data)
    assert str(message["Subject"]) == "Scuse per «Auguri di Natale»"
    assert message["From"].addresses[0].display_name == "Niccolò Ferrà"
    assert out.data.isascii()


def test_group_apology_goes_through_a_real_smtp_server(
    incident: Incident, upstream: SinkServer
) -> None:
    text = load_template(TEMPLATES, "en", "addresses-exposed", Audience.GROUP)
    out = build_group(text, incident, ANNA, "en", T0)
    result = SmtpRelay(upstream.upstream()).send(
        out.mail_from, out.recipients, out.data
    )
    assert result.ok
    (received,) = upstream.received
    assert sorted(received.rcpt_tos) == sorted(PEOPLE)
    assert received.mail_from == ANNA.address
    message = parse(received.data)
    visible = addresses(message, "To") + addresses(message, "Cc")
    assert visible == [ANNA.address]
    assert not set(PEOPLE) & set(visible)
    assert not any(p.encode() in received.data for p in PEOPLE)


def test_individual_apologies_are_one_message_each(
    incident: Incident, upstream: SinkServer
) -> None:
    text = load_template(TEMPLATES, "en", "complaint", Audience.INDIVIDUAL)
    chosen = ["mario.rossi@libero.it", PEOPLE[1], "MARIO.ROSSI@libero.it"]
    outs = build_individual(text, incident, ANNA, "en", T0, chosen)
    assert [o.recipients for o in outs] == [("mario.rossi@libero.it",), (PEOPLE[1],)]
    assert len({o.message_id for o in outs}) == 2
    relay = SmtpRelay(upstream.upstream())
    for out in outs:
        assert relay.send(out.mail_from, out.recipients, out.data).ok
    assert [r.rcpt_tos for r in upstream.received] == [[p] for p in chosen[:2]]
    first = parse(upstream.received[0].data)
    assert addresses(first, "To") == ["mario.rossi@libero.it"]
    assert first["To"].addresses[0].display_name == "Mario Rossi"
    assert first.get_content().startswith("Dear Mario Rossi,")
    assert str(first["Subject"]) == "Re: Auguri di Natale"
    second = parse(upstream.received[1].data)
    assert second.get_content().startswith(f"Dear {PEOPLE[1]},")  # no name to guess


def test_individual_names_can_be_given(incident: Incident) -> None:
    text = load_template(TEMPLATES, "it", "complaint", Audience.INDIVIDUAL)
    (out,) = build_individual(
        text, incident, ANNA, "it", T0, [PEOPLE[0]], names={PEOPLE[0]: "Giulia"}
    )
    assert parse(out.data).get_content().startswith("Gentile Giulia,")


def test_nobody_to_write_to_is_an_error(incident: Incident) -> None:
    text = load_template(TEMPLATES, "en", "complaint", Audience.INDIVIDUAL)
    with pytest.raises(ApologyError, match="at least one"):
        build_individual(text, incident, ANNA, "en", T0, [])
    empty = Incident.new(IncidentKind.SENT_AS_IS, T0)
    with pytest.raises(ApologyError, match="nobody"):
        build_group(text, empty, ANNA, "en", T0)


def test_a_template_error_stops_the_build(incident: Incident) -> None:
    with pytest.raises(PlaceholderError, match="recipient_name"):
        build_group("Subject: Hi\n\nDear {recipient_name}\n", incident, ANNA, "en", T0)


def test_without_an_original_message_id_there_is_no_threading() -> None:
    plain = Incident.new(IncidentKind.SENT_AS_IS, T0, exposed=PEOPLE, subject="S")
    out = build_group("Subject: Sorry\n\nSorry.\n", plain, ANNA, "en", T0)
    message = parse(out.data)
    assert message["In-Reply-To"] is None
    assert message["References"] is None
