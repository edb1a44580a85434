"""The demo's sample mass mail is written in the user's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bccguard.core.message import read_message
from bccguard.demo import sample_mass_mail
from bccguard.i18n import set_language


@pytest.fixture
def italian() -> Iterator[None]:
    set_language("it")
    yield
    set_language("en")


def test_the_sample_is_italian_in_italian(italian: None) -> None:
    raw = sample_mass_mail(25)
    message = read_message(raw)
    assert message.subject == "Auguri di buone feste da tutti noi"
    assert b"Cari amici," in raw
    assert len(message.visible) == 25


def test_the_sample_is_english_in_english() -> None:
    raw = sample_mass_mail(3)
    assert read_message(raw).subject == "Season's greetings from all of us"
    assert raw.startswith(b"From: You <you@bccguard-demo.example>\r\n")
