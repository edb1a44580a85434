"""The check window: counts for files and pastes, and the conversion it saves."""

from __future__ import annotations

from pathlib import Path

import pytest
from imapclient import IMAPClient

from bccguard.adapters.imap_mailbox import ImapDraftsFolder
from bccguard.core.bcc_conversion import ConversionError
from bccguard.core.message import read_message
from bccguard.core.policy import Policy
from bccguard.ui.check_window import CheckWindow
from tests.dovecot_server import PASSWORD, USER, Dovecot

pytestmark = pytest.mark.gui


def test_pasted_address_list(qtbot) -> None:
    window = CheckWindow(lambda: Policy.build(threshold=3))
    qtbot.addWidget(window)
    window.paste.setPlainText(
        "a@x.example; b@y.example\nc@z.example, d@gmail.com\ne@gmail.com"
    )
    qtbot.waitUntil(lambda: window.verdict is not None)
    assert window.counts["visible"].text() == "5"
    assert window.counts["exposed"].text() == "5"
    assert window.counts["threshold"].text() == "3"
    assert "held" in window.banner.text()
    assert window.domains.item(0, 0).text() == "gmail.com"
    assert window.domains.item(0, 1).text() == "2"


def test_trusted_colleagues_pass(qtbot) -> None:
    window = CheckWindow(
        lambda: Policy.build(threshold=2, trusted_domains=["corp.example"])
    )
    qtbot.addWidget(window)
    window.show_message(
        b"From: me@corp.example\nTo: a@corp.example, b@corp.example, c@corp.example\n\n"
    )
    assert window.verdict is not None and not window.verdict.held
    assert window.counts["exposed"].text() == "0"
    assert "Fine to send" in window.banner.text()


def test_file_and_conversion(qtbot, tmp_path: Path) -> None:
    eml = tmp_path / "draft.eml"
    eml.write_bytes(
        b"From: Me <me@x.example>\r\nTo: a@x1.example, b@x2.example\r\n"
        b"Cc: c@x3.example\r\nSubject: s\r\n\r\nbody\r\n"
    )
    window = CheckWindow(lambda: Policy.build(threshold=1))
    qtbot.addWidget(window)
    window.load_file(eml)
    assert window.counts["visible"].text() == "3"
    assert window.convert_button.isEnabled()
    converted = read_message(window.converted())
    assert [a.addr for a in converted.visible] == ["me@x.example"]
    assert sorted(a.addr for a in converted.hidden) == [
        "a@x1.example",
        "b@x2.example",
        "c@x3.example",
    ]


def test_headers_whose_recipients_cannot_be_found_are_not_converted(qtbot) -> None:
    # A stray quote no longer stops a conversion (every recipient found moves);
    # a recipient field of junk, where none can be found, still does.
    window = CheckWindow(Policy)
    qtbot.addWidget(window)
    window.show_message(b'To: "\x00\xff\xfe garbage\n\n')
    assert window.verdict is not None and window.verdict.held
    with pytest.raises(ConversionError):
        window.converted()


def test_a_draft_from_the_server_is_converted_in_place(qtbot, dovecot: Dovecot) -> None:
    endpoint = dovecot.endpoint()
    to = ", ".join(f"p{i}@s{i % 4}.example" for i in range(20))
    draft = (
        f"From: Me <me@me.example>\r\nTo: {to}\r\nSubject: Party\r\n"
        "Message-ID: <d1@me.example>\r\n\r\nsee you\r\n"
    ).encode()
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(USER, PASSWORD)
        client.append("Drafts", b"From: me@me.example\r\nTo: a@b.example\r\n\r\nx\r\n")
        client.append("Drafts", draft, flags=(b"\\Draft",))
    drafts = ImapDraftsFolder("home", endpoint)
    listed = drafts.list()
    assert [d.subject for d in listed] == ["Party", ""]
    window = CheckWindow(Policy, drafts=drafts)
    qtbot.addWidget(window)
    assert window.drafts_button.isVisibleTo(window)
    window.load_draft(listed[0].uid)
    assert window.counts["visible"].text() == "20"
    assert window.verdict is not None and window.verdict.held
    window._convert()
    assert window.draft_uid is None
    assert window.counts["visible"].text() == "1"
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(USER, PASSWORD)
        client.select_folder("Drafts", readonly=True)
        uids = client.search(["ALL"])
        bodies = [v[b"BODY[]"] for v in client.fetch(uids, ["BODY.PEEK[]"]).values()]
    assert len(bodies) == 2
    converted = next(b for b in bodies if b"Party" in b)
    message = read_message(converted)
    assert [a.addr for a in message.visible] == ["me@me.example"]
    assert len(message.hidden) == 20
    assert converted.endswith(b"\r\n\r\nsee you\r\n")
