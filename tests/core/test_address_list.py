"""Unit tests for the lenient recipient-header reader."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bccguard.core.address_list import (
    Address,
    Origin,
    ascii_domain,
    decode_words,
    normalise_addr,
    parse_address_list,
)


def addrs(text: str) -> list[str]:
    return [a.addr for a in parse_address_list(text).addresses]


def doubtful(text: str) -> bool:
    return any(p.doubtful for p in parse_address_list(text).problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@x.com", ["a@x.com"]),
        ("a@x.com, b@y.com", ["a@x.com", "b@y.com"]),
        ("Alice <a@x.com>, Bob <b@y.com>", ["a@x.com", "b@y.com"]),
        ('"Doe, John" <j@x.com>', ["j@x.com"]),
        ("a@x.com (Alice), b@y.com (Bob (the builder))", ["a@x.com", "b@y.com"]),
        ("<@relay.example:a@x.com>", ["a@x.com"]),
        ("<@r1.example,@r2.example:a@x.com>", ["a@x.com"]),
        ("a . b @ x.com", ["a.b@x.com"]),
        ("'john@x.com' <john@x.com>", ["john@x.com"]),
        ("john@x.com <john@x.com>", ["john@x.com"]),
        ("A@X.COM", ["A@x.com"]),
        ("a@x.com.", ["a@x.com"]),
        ("jörg@bücher.de", ["jörg@bücher.de"]),
        ('"john smith"@x.com', ['"john smith"@x.com']),
        ("<a@x.com>", ["a@x.com"]),
    ],
)
def test_reads_well_formed_lists(text: str, expected: list[str]) -> None:
    assert addrs(text) == expected
    assert not doubtful(text)


def test_group_members_count_and_group_is_recorded() -> None:
    result = parse_address_list("Team: a@x.com, Bob <b@y.com>;, c@z.com")
    assert [a.addr for a in result.addresses] == ["a@x.com", "b@y.com", "c@z.com"]
    assert result.groups == ["Team"]
    assert not result.problems


def test_empty_group_counts_zero() -> None:
    result = parse_address_list("undisclosed-recipients:;")
    assert result.addresses == []
    assert result.groups == ["undisclosed-recipients"]
    assert not result.problems


def test_outlook_semicolons_count_every_address() -> None:
    result = parse_address_list("a@x.com; 'b@y.com' <b@y.com>; Carol <c@z.com>;")
    assert [a.addr for a in result.addresses] == ["a@x.com", "b@y.com", "c@z.com"]
    assert [p.text for p in result.problems] == [
        "';' used between addresses (Outlook style)"
    ]
    assert not any(p.doubtful for p in result.problems)


def test_unquoted_comma_in_display_name_keeps_the_address() -> None:
    result = parse_address_list("Doe, John <j@x.com>, Roe, Jane <r@y.com>")
    assert [a.addr for a in result.addresses] == ["j@x.com", "r@y.com"]
    assert not any(p.doubtful for p in result.problems)


def test_encoded_word_with_comma_is_one_display_name() -> None:
    result = parse_address_list("=?utf-8?Q?Doe,_John?= <j@x.com>, b@y.com")
    assert [a.addr for a in result.addresses] == ["j@x.com", "b@y.com"]
    assert result.addresses[0].name == "Doe, John"
    assert result.addresses[0].source == "=?utf-8?Q?Doe,_John?= <j@x.com>"
    assert not result.problems


def test_encoded_display_name_is_decoded() -> None:
    result = parse_address_list("=?iso-8859-1?q?J=F6rg_M=FCller?= <jm@x.de>")
    assert result.addresses[0].name == "Jörg Müller"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A missing comma before an angle address: both people get the message.
        ("alice@x.com Bob <bob@y.com>", ["bob@y.com", "alice@x.com"]),
        ("a@x.com <b@y.com>", ["b@y.com", "a@x.com"]),
        ("a@x.com b@y.com", ["a@x.com", "b@y.com"]),
        ("Alice <a@x.com> Bob <b@y.com>", ["a@x.com", "b@y.com"]),
        ("Alice <a@x.com> b@y.com", ["a@x.com", "b@y.com"]),
        # Stray and unterminated syntax is skipped; every address still counts.
        ("a@x.com>, b@y.com", ["a@x.com", "b@y.com"]),
        ("<a@x.com, b@y.com", ["a@x.com", "b@y.com"]),
        ('"Doe, John <j@x.com>, k@y.com', ["j@x.com", "k@y.com"]),
        ("a@x.com (Alice, b@y.com, c@z.com", ["a@x.com", "b@y.com", "c@z.com"]),
        ("a@x.com) b@y.com", ["a@x.com", "b@y.com"]),
        ("a@x.com: b@y.com", ["a@x.com", "b@y.com"]),
    ],
)
def test_malformed_lists_count_everyone_and_are_doubtful(
    text: str, expected: list[str]
) -> None:
    assert sorted(addrs(text)) == sorted(expected)
    assert doubtful(text)


def test_unterminated_quote_swallowing_addresses_still_counts_them() -> None:
    # The stray quote pairs with the quote of a later display name, turning two
    # addresses into "name" text: they must still count.
    text = '"a@x.com, b@y.com, "Carol" <c@z.com>'
    assert sorted(addrs(text)) == ["a@x.com", "b@y.com", "c@z.com"]
    assert doubtful(text)


def test_quoted_text_with_an_address_and_no_mailbox_is_doubtful() -> None:
    text = '"a@x.com, b@y.com", c@z.com'
    assert sorted(addrs(text)) == ["a@x.com", "b@y.com", "c@z.com"]
    assert doubtful(text)


def test_address_only_in_a_display_name_is_not_counted_twice() -> None:
    assert addrs('"john@x.com" <john@x.com>, b@y.com') == ["john@x.com", "b@y.com"]
    assert not doubtful('"john@x.com" <john@x.com>')


def test_address_with_two_at_signs_is_doubtful_but_counted() -> None:
    assert addrs("a@b@x.com") == ["a@b@x.com"]
    assert doubtful("a@b@x.com")


def test_name_without_address_is_reported_not_counted() -> None:
    result = parse_address_list("Alice, b@y.com")
    assert [a.addr for a in result.addresses] == ["b@y.com"]
    assert [p.text for p in result.problems] == ["'Alice' has no address; not counted"]
    assert not result.problems[0].doubtful


def test_empty_angle_brackets_are_skipped() -> None:
    result = parse_address_list("<>, a@x.com")
    assert [a.addr for a in result.addresses] == ["a@x.com"]
    assert [p.text for p in result.problems] == ["an empty <> was skipped"]


def test_duplicates_are_kept_in_the_list() -> None:
    assert addrs("a@x.com, A <a@X.com>, A@X.COM") == ["a@x.com", "a@x.com", "A@x.com"]


@pytest.mark.parametrize("text", ["", "   ", ",,,", ";", ":;"])
def test_empty_values_have_no_addresses(text: str) -> None:
    assert addrs(text) == []
    assert not doubtful(text)


def test_source_keeps_the_mailbox_as_written() -> None:
    result = parse_address_list('"Doe, John" <j@x.com> , b@y.com (Bob)')
    assert [a.header_text() for a in result.addresses] == [
        '"Doe, John" <j@x.com>',
        "b@y.com (Bob)",
    ]
    assert result.addresses[1].name == "Bob"


def test_address_key_folds_domain_case_and_idn() -> None:
    assert Address("a@Bücher.DE").key == Address("a@xn--bcher-kva.de").key
    assert Address("A@x.com").key == Address("a@x.com").key == "a@x.com"


def test_the_address_keeps_what_was_written() -> None:
    assert normalise_addr("DUP0@ALPHA.EXAMPLE.") == "DUP0@alpha.example"
    assert normalise_addr("x@ΟΔΟΣ.gr") == "x@ΟΔΟΣ.gr"
    assert Address("x@ΟΔΟΣ.gr").domain == "οδοσ.gr"


def test_ascii_domain_and_normalise() -> None:
    assert ascii_domain("BÜCHER.de") == "xn--bcher-kva.de"
    assert ascii_domain("Example.COM") == "example.com"
    assert normalise_addr("Jo@Example.COM.") == "Jo@example.com"
    assert normalise_addr("no-at-sign") == "no-at-sign"


@pytest.mark.parametrize(
    ("text", "mailboxes", "shown"),
    [
        (
            '"carol@evil.example" <dan@good.example>',
            ["dan@good.example"],
            ["carol@evil.example"],
        ),
        (
            "=?utf-8?Q?c=40evil.example?= <d@good.example>",
            ["d@good.example"],
            ["c@evil.example"],
        ),
        (
            "=?utf-8?Q?a=40x.example,_b=40y.example?= <d@z.example>",
            ["d@z.example"],
            ["a@x.example", "b@y.example"],
        ),
        (
            "=?utf-8?Q?a=40x.example?=, =?utf-8?Q?b=40y.example?=",
            [],
            ["a@x.example", "b@y.example"],
        ),
        ("d@z.example (=?utf-8?Q?a=40x.example?=)", ["d@z.example"], ["a@x.example"]),
        ("<(a@x.example) d@z.example>", ["d@z.example"], ["a@x.example"]),
        ("=?utf-8?Q?a=40x.example?=: d@z.example;", ["d@z.example"], ["a@x.example"]),
        ('"a\uff20x.example" <d@z.example>', ["d@z.example"], ["a@x.example"]),
        ('"b@y.example" d@z.example', ["d@z.example"], ["b@y.example"]),
    ],
)
def test_addresses_a_reader_sees_in_names_count_and_are_doubtful(
    text: str, mailboxes: list[str], shown: list[str]
) -> None:
    result = parse_address_list(text)
    found = {
        a.origin: [b.addr for b in result.addresses if b.origin is a.origin]
        for a in result.addresses
    }
    assert found.get(Origin.MAILBOX, []) == mailboxes
    assert found.get(Origin.TEXT, []) == shown
    assert any(p.doubtful for p in result.problems)


@pytest.mark.parametrize(
    "text",
    [
        '"dan@good.example" <dan@good.example>',
        "=?utf-8?Q?dan=40good.example?= <DAN@GOOD.EXAMPLE>",
        "dan@good.example (dan@good.example)",
        '"Team @ Home" <t@h.example>',
        "=?utf-8?Q?Doe,_John?= <j@x.example>",
        "Sales@Acme <sales@acme>",
    ],
)
def test_a_name_that_shows_only_its_own_address_is_clean(text: str) -> None:
    result = parse_address_list(text)
    assert [a.origin for a in result.addresses] == [Origin.MAILBOX]
    assert not any(p.doubtful for p in result.problems)


def test_in_a_broken_list_shown_text_may_be_a_recipient() -> None:
    result = parse_address_list('"Sales, a@x.example, b@y.example, "C" <c@z.example>')
    assert [(a.addr, a.origin) for a in result.addresses] == [
        ("c@z.example", Origin.MAILBOX),
        ("a@x.example", Origin.STRAY),
        ("b@y.example", Origin.STRAY),
    ]
    assert all(a.recipient for a in result.addresses)
    shown = parse_address_list('"a@x.example" <c@z.example>').addresses[1]
    assert (shown.origin, shown.recipient) == (Origin.TEXT, False)


def test_decode_words_leaves_bad_encoded_words_alone() -> None:
    assert decode_words("=?bogus-charset?Q?x?=") == "=?bogus-charset?Q?x?="
    assert decode_words("=?utf-8?B?YUBiL?=") == "=?utf-8?B?YUBiL?="  # not base64
    assert addrs("=?utf-8?B?YUBiL?=, a@x.example") == ["a@x.example"]
    assert decode_words("=?utf-8?B?SsO2cmc=?=") == "Jörg"
    assert decode_words("plain") == "plain"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Found by the property tests: a stray quote inside an address, pairing with
        # the quote of a later display name.
        ('b@x.com, e"@u.example, 4@y.com, " Z " <w@z.com>', 4),
        ('a@x.com"b@y.com, "C" <c@z.com>', 3),
    ],
)
def test_stray_quote_inside_an_address_does_not_hide_it(
    text: str, expected: int
) -> None:
    result = parse_address_list(text)
    assert len({a.key for a in result.addresses}) >= expected
    assert any(p.doubtful for p in result.problems)


def test_display_name_holding_another_address_is_doubtful() -> None:
    # Found by the property tests: a stray quote pairs with an escaped one and turns
    # two addresses into the display name of a third.
    text = '"a@x.com, b@y.com, "\\"" <c@z.com>'
    result = parse_address_list(text)
    assert {a.addr for a in result.addresses} >= {"a@x.com", "b@y.com", "c@z.com"}
    assert any(p.doubtful for p in result.problems)
    assert doubtful('"old@x.com" <new@y.com>')
    assert not doubtful('"new@y.com" <new@y.com>')


def test_comment_holding_another_address_is_doubtful() -> None:
    # Found by the property tests: a stray "(" and a split "\\" escape made one
    # balanced comment out of a whole group.
    text = "(<Team1: 000000@0.000.example (:::::::\\<));, 0@0.example"
    assert sorted(addrs(text)) == ["000000@0.000.example", "0@0.example"]
    assert doubtful(text)
    assert doubtful("a@x.com (old address: a@y.com)")
    assert not doubtful("a@x.com (a@x.com)")


_ATOM = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.é",
    min_size=1,
    max_size=8,
).filter(lambda s: not s.startswith(".") and not s.endswith("."))
_ADDR = st.builds(
    lambda u, d, t: f"{u}@{d}.{t}",
    _ATOM.filter(lambda s: ".." not in s and "é" not in s),
    st.sampled_from(["x", "Mail-Host", "b2"]),
    st.sampled_from(["com", "IT", "example"]),
)
_ENTRY = st.one_of(
    _ADDR,
    st.builds(
        lambda n, a: f"{n} <{a}>",
        st.lists(_ATOM, min_size=1, max_size=3).map(" ".join),
        _ADDR,
    ),
    st.builds(
        lambda n, a: f'"{n}" <{a}>',
        st.text(alphabet="abc ,;:@()<>'", max_size=10),
        _ADDR,
    ),
)


@given(
    st.lists(_ENTRY, min_size=1, max_size=12),
    st.sampled_from([",", ", ", " ,\t", ",\n "]),
)
def test_fast_path_reads_plain_lists_like_the_full_reader(
    entries: list[str], sep: str
) -> None:
    from bccguard.core.address_list import _Reader
    from bccguard.core.plain_list import read_plain

    text = sep.join(entries)
    fast = read_plain(text)
    full = _Reader(text).read()
    if fast is not None:
        assert [Address(*entry) for entry in fast] == full.addresses
        assert full.problems == [] or all(not p.doubtful for p in full.problems)


@pytest.mark.parametrize(
    "text",
    [
        "=?utf-8?Q?a=40x.example?= <d@z.example>",
        '"=?utf-8?Q?a=40x.example?=" <d@z.example>',
        '"a\uff20x.example" <d@z.example>',
    ],
)
def test_a_name_that_shows_an_at_leaves_the_fast_path(text: str) -> None:
    from bccguard.core.plain_list import read_plain

    assert read_plain(text) is None
    assert read_plain("=?utf-8?Q?J=C3=B6rg?= <j@x.example>") is not None


def test_stray_quote_glued_to_a_local_part_is_doubtful() -> None:
    # Found by the property tests: ``p"@x, "`` reads as the word p and a quoted name.
    result = parse_address_list('a@x.example ; p"@0.example, "\\"" <b@y.example>')
    assert any(p.doubtful for p in result.problems)
    assert "p@0.example" in {a.addr for a in result.addresses}


def test_group_name_holding_addresses_is_doubtful() -> None:
    # Found by the property tests: a stray quote made a list into a group's name.
    result = parse_address_list('"a@x.example, b@y.example, ":\\"" <c@z.example>')
    assert any(p.doubtful for p in result.problems)
    assert {"a@x.example", "b@y.example", "c@z.example"} <= {
        a.addr for a in result.addresses
    }
