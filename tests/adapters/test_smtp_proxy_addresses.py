"""The proxy's quick address reading agrees with aiosmtpd's parser on every input."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

from bccguard.adapters.smtp_proxy import _LoopbackSMTP


class _Handler:
    pass


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[SMTP, SMTP]]:
    loop = asyncio.new_event_loop()
    try:
        yield SMTP(_Handler(), loop=loop), _LoopbackSMTP(_Handler(), loop=loop)
    finally:
        loop.close()


EXAMPLES = [
    "<alice@example.com>",
    "<alice@example.com> SIZE=1024 BODY=8BITMIME",
    "  <first.last+tag@mail.example.co.uk>",
    "<a@b>",
    "<>",
    "",
    "alice@example.com",
    '<"quoted local"@example.com>',
    "<a..b@example.com>",
    "<.a@example.com>",
    "<a.@example.com>",
    "<user@[127.0.0.1]>",
    "<user@example.com.>",
    "<üser@exämple.com> SMTPUTF8",
    "<a(comment)@example.com>",
    "<@relay.example:user@example.com>",
    "<user@example.com",
    "<user@@example.com>",
    "<" + "x" * 65 + "@example.com>",
    "<" + "x" * 64 + "@example.com>",
    "<o'brien@example.ie>",
    "<a@b.c>x",
    "<a@b.c>  SIZE=1  ",
    "<a@b.c> (comment) SIZE=1",
    "\t<a@b.c>\tSIZE=1",
    "\x0b<a@b.c>",
    "<",
    "<a@b.c> \x0b(c) SIZE=1",
    "<a@b.c> \x0bSIZE=1",
    "<a@b.c>\t\xa0SIZE=1",
    "<a@b.c>\xa0SIZE=1",
]


def read(server: SMTP, arg: str) -> object:
    """What `_getaddr` gives, or the kind of error it raises (aiosmtpd's parser
    fails on some inputs; the quick path must then fail the same way)."""
    try:
        return server._getaddr(arg)
    except Exception as e:
        return type(e)


@pytest.mark.parametrize("arg", EXAMPLES)
def test_examples_read_as_aiosmtpd_reads_them(
    servers: tuple[SMTP, SMTP], arg: str
) -> None:
    reference, quick = servers
    assert read(quick, arg) == read(reference, arg)


PIECES = [
    *"ab.@<>- \t\x0b\xa0\u3000_+\"'()[]:,;\\=!#é",
    "<a@b.c>",
    "SIZE=1",
    " (c) ",
]
ADDRESS_TEXT = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@given(ADDRESS_TEXT)
def test_any_argument_reads_as_aiosmtpd_reads_it(arg: str) -> None:
    loop = asyncio.new_event_loop()
    try:
        reference = SMTP(_Handler(), loop=loop)
        quick = _LoopbackSMTP(_Handler(), loop=loop)
        assert read(quick, arg) == read(reference, arg)
    finally:
        loop.close()
