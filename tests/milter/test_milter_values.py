"""The milter's pure parts: edits, the decision, its settings, the brake, the marker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bccguard.core.bcc_conversion import ToStyle
from bccguard.core.message import read_message
from bccguard.core.settings import SettingsError, settings_from_mapping
from bccguard.milter.config import MilterSettings, milter_settings_from_mapping
from bccguard.milter.decision import MilterAction, decide
from bccguard.milter.header_edits import HeaderEdit, conversion_edits
from bccguard.milter.message_head import MessageHead
from bccguard.milter.postfix_outlet import PostfixHeldStore
from bccguard.milter.postfix_queue import PostfixQueue
from bccguard.milter.release_marker import ReleaseMarker
from bccguard.milter.thread_brake import ThreadBrake, referenced_ids


def head(*fields: tuple[str, bytes], recipients: tuple[str, ...] = ()) -> MessageHead:
    found = MessageHead(mail_from="me@example.com", recipients=list(recipients))
    for name, value in fields:
        found.add_field(name, value)
    return found


def test_every_recipient_field_goes_from_the_last_copy_back() -> None:
    message = head(
        ("From", b"Me <me@example.com>"),
        ("To", b"a@x.org,\n\tb@x.org"),
        ("Cc", b"c@x.org"),
        ("To", b"d@x.org"),
        ("Bcc", b"e@x.org"),
        ("Cc", b"f@x.org"),
    )
    edits = conversion_edits(message, ToStyle.SENDER, "converted")
    assert edits == [
        HeaderEdit("To", "", 2),
        HeaderEdit("Cc", "", 2),
        HeaderEdit("Cc", "", 1),
        HeaderEdit("Bcc", "", 1),
        HeaderEdit("To", "Me <me@example.com>", 1),
        HeaderEdit("X-BccGuard", "converted"),
    ]


def test_a_message_with_only_cc_gets_a_to_where_cc_stood() -> None:
    message = head(
        ("Subject", b"x"), ("Cc", b"c@x.org, d@x.org"), ("From", b"me@example.com")
    )
    edits = conversion_edits(message, ToStyle.UNDISCLOSED, "converted")
    assert edits[0] == HeaderEdit("Cc", "", 1)
    assert edits[1] == HeaderEdit("To", "undisclosed-recipients:;", None, 1)


def test_the_header_block_reads_back_as_the_message() -> None:
    message = head(
        ("To", b"a@x.org,\n\tb@x.org"), ("Subject", b"=?utf-8?q?caf=C3=A9?=")
    )
    parsed = read_message(message.raw())
    assert [a.addr for a in parsed.visible] == ["a@x.org", "b@x.org"]
    assert parsed.subject == "café"


SETTINGS = settings_from_mapping({"policy": {"threshold": 2, "action": "convert"}})


def decision_for(message: MessageHead, milter: MilterSettings | None = None) -> object:
    return decide(
        message.mail_from,
        message.recipients,
        message.raw(),
        SETTINGS,
        milter or MilterSettings(),
        longest_field=message.longest_recipient_field(),
        tokens=message.most_recipient_tokens(),
    )


def test_three_strangers_are_converted_and_two_pass() -> None:
    three = head(("To", b"a@x.org, b@y.org, c@z.org"), recipients=("a@x.org",))
    two = head(("To", b"a@x.org, b@y.org"))
    assert decision_for(three).action is MilterAction.CONVERT  # type: ignore[attr-defined]
    assert decision_for(two).action is MilterAction.PASS  # type: ignore[attr-defined]


def test_envelope_recipients_unreadable_headers_hide_count_as_shown() -> None:
    broken = head(("To", b"<<a@x.org"), recipients=("a@x.org", "b@y.org", "c@z.org"))
    assert decision_for(broken).action is not MilterAction.PASS  # type: ignore[attr-defined]


def test_a_to_near_the_token_limit_is_held_not_counted() -> None:
    crowd = ", ".join(f"p{i}@x.org" for i in range(200)).encode()
    message = head(("To", crowd))
    milter = MilterSettings(header_address_token_limit=1000)
    found = decision_for(message, milter)
    assert found.action is MilterAction.HOLD  # type: ignore[attr-defined]
    assert "header_address_token_limit" in found.reason  # type: ignore[attr-defined]
    few = MilterSettings(header_address_token_limit=5000)
    assert decision_for(message, few).action is MilterAction.CONVERT  # type: ignore[attr-defined]


def test_input_that_is_not_a_message_is_held_even_when_the_policy_converts() -> None:
    junk = head(recipients=("a@x.org", "b@y.org", "c@z.org"))
    assert decision_for(junk).action is MilterAction.HOLD  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"brake_minutes": 0}, "milter.brake_minutes"),
        ({"trusted_networks": ["10.0.0.0/33"]}, "milter.trusted_networks"),
        ({"notify": "yes"}, "milter.notify"),
        ({"queue_helper": []}, "milter.queue_helper"),
        ({"thresold": 3}, "milter.thresold"),
    ],
)
def test_a_bad_setting_names_its_key(table: dict[str, object], key: str) -> None:
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        milter_settings_from_mapping(table)


def test_trusted_networks_cover_their_clients_only() -> None:
    milter = milter_settings_from_mapping(
        {"trusted_networks": ["10.1.0.0/16", "::1/128"]}
    )
    assert milter.trusts_client("10.1.2.3")
    assert milter.trusts_client("::1")
    assert not milter.trusts_client("10.2.0.1")
    assert not milter.trusts_client("not an address")
    assert not MilterSettings().trusts_client("127.0.0.1")


def test_the_brake_holds_the_reply_after_the_limit(tmp_path: Path) -> None:
    now = [1000.0]
    brake = ThreadBrake(tmp_path / "threads.sqlite", clock=lambda: now[0])
    brake.remember("<Original@x.org>", 40)
    thread = ["<original@x.org>"]
    assert [brake.reply(thread, 3, 10) for _ in range(3)] == [None, None, None]
    reason = brake.reply(thread, 3, 10)
    assert reason is not None and "3 replies to all 40 people" in reason
    assert brake.reply(["<other@x.org>"], 3, 10) is None
    now[0] += 11 * 60  # the window moved on
    assert brake.reply(thread, 3, 10) is None


def test_replies_name_their_thread_by_in_reply_to_and_references() -> None:
    message = read_message(
        b"In-Reply-To: <B@x.org>\r\nReferences: <a@x.org>\r\n <b@x.org>\r\n\r\n"
    )
    assert referenced_ids(message) == ["<b@x.org>", "<a@x.org>"]


def test_a_release_marker_is_genuine_only_with_the_key(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir(mode=0o700)
    (tmp_path / "b").mkdir(mode=0o700)
    marker = ReleaseMarker(tmp_path / "a")
    value = marker.value("0a1b2c3d")
    assert marker.held_id(value) == "0a1b2c3d"
    assert ReleaseMarker(tmp_path / "a").held_id(value) == "0a1b2c3d"  # same key
    assert ReleaseMarker(tmp_path / "b").held_id(value) is None
    assert marker.held_id("0a1b2c3d 00") is None
    assert marker.held_id("") is None


def test_opening_the_store_leaves_a_hold_being_written_alone(tmp_path: Path) -> None:
    root = tmp_path / "held"
    root.mkdir(mode=0o700)
    (root / ".tmp-fresh").mkdir()
    (root / ".tmp-old").mkdir()
    os.utime(root / ".tmp-old", (1.0, 1.0))
    (tmp_path / "home").mkdir(mode=0o700)
    marker = ReleaseMarker(tmp_path / "home")
    PostfixHeldStore(root, lambda: PostfixQueue(MilterSettings()), marker)
    assert (root / ".tmp-fresh").exists()
    assert not (root / ".tmp-old").exists()
