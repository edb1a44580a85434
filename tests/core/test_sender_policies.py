"""[[senders]]: a policy per sender address or domain, for a server without
accounts (the milter) as much as for a desktop; policy_for picks it for every path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bccguard.adapters.settings_file import load_settings, save_settings
from bccguard.core.policy import Action
from bccguard.core.settings import (
    Account,
    Settings,
    SettingsError,
    settings_from_mapping,
)

OFFICE = {
    "name": "Front office",
    "domains": ["office.school.example"],
    "threshold": 3,
    "action": "block",
}
SCHOOL = {"name": "School", "domains": ["school.example"], "threshold": 30}
HEAD = {"name": "Head", "addresses": ["Head@School.example"], "action": "convert"}


def settings(*senders: dict, accounts: tuple[Account, ...] = ()) -> Settings:
    data = {"policy": {"threshold": 10}, "senders": list(senders)}
    return Settings(
        policy=settings_from_mapping(data).policy,
        senders=settings_from_mapping(data).senders,
        accounts=accounts,
    )


def test_a_domain_and_its_subdomains_get_the_entrys_policy() -> None:
    chosen = settings(SCHOOL)
    for sender in ("a@school.example", "b@staff.school.example"):
        assert chosen.policy_for(sender).threshold == 30
    assert chosen.policy_for("c@elsewhere.example").threshold == 10
    assert chosen.policy_for("d@notschool.example").threshold == 10


def test_the_most_specific_entry_wins_whatever_the_order() -> None:
    for order in ((SCHOOL, OFFICE, HEAD), (HEAD, OFFICE, SCHOOL)):
        chosen = settings(*order)
        office = chosen.policy_for("clerk@office.school.example")
        assert (office.threshold, office.action) == (3, Action.BLOCK)
        assert chosen.policy_for("x@school.example").threshold == 30
        head = chosen.policy_for("head@school.example")
        assert head.action is Action.CONVERT
        assert head.threshold == 10  # the entry names no threshold: [policy]'s


def test_addresses_are_compared_as_people_are_counted() -> None:
    chosen = settings(HEAD)
    assert chosen.policy_for("HEAD@school.EXAMPLE").action is Action.CONVERT


def test_a_tie_goes_to_the_first_listed() -> None:
    first = {"name": "first", "domains": ["school.example"], "threshold": 1}
    second = {"name": "second", "domains": ["school.example"], "threshold": 2}
    assert settings(first, second).policy_for("a@school.example").threshold == 1


def test_the_senders_own_account_beats_an_entry_and_an_entry_beats_the_fallback() -> (
    None
):
    work = Account(
        name="work", email="me@school.example", smtp_host="smtp.example", threshold=50
    )
    chosen = settings(SCHOOL, accounts=(work,))
    assert chosen.policy_for("me@school.example").threshold == 50
    assert chosen.policy_for("you@school.example").threshold == 30
    assert chosen.policy_for("you@elsewhere.example").threshold == 50  # fallback


def test_the_sender_is_still_never_counted_as_exposed() -> None:
    policy = settings(SCHOOL).policy_for("a@school.example")
    assert policy.own_addresses


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"domains": ["school.example"]}, "senders[0].name"),
        ({"name": "x"}, "senders[0]"),
        ({"name": "x", "domains": ["nodot"]}, "senders[0].domains[0]"),
        ({"name": "x", "addresses": ["not an address"]}, "senders[0].addresses[0]"),
        (
            {"name": "x", "domains": ["a.example"], "threshold": -1},
            "senders[0].threshold",
        ),
        (
            {"name": "x", "domains": ["a.example"], "action": "shout"},
            "senders[0].action",
        ),
        ({"name": "x", "domains": ["a.example"], "colour": 1}, "senders[0].colour"),
        ({"name": "x", "domains": "a.example"}, "senders[0].domains"),
    ],
)
def test_bad_entries_name_their_key(entry: dict, path: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_mapping({"senders": [entry]})
    assert caught.value.path == path


def test_saved_and_read_back(tmp_path: Path) -> None:
    original = settings(OFFICE, SCHOOL, HEAD)
    save_settings(tmp_path / "config.toml", original)
    again = load_settings(tmp_path / "config.toml")
    assert again.senders == original.senders
    assert again.policy_for("clerk@office.school.example").action is Action.BLOCK
