"""OpenDKIM after the milter: what BccGuard converted is what OpenDKIM signs, so
the signature verifies at the sink (dkimpy, with the key's DNS record)."""

from __future__ import annotations

import json

import dkim
import pytest

from tests.milter.mail_server import CONVERTER, HOLDER, MailServer, mail, wait_delivered
from tests.milter.test_postfix_milter import CROWD, delivered, mass_mail
from tests.support import wait_for


@pytest.fixture
def signing(server: MailServer) -> MailServer:
    if server.dkim is None:
        pytest.skip("OpenDKIM is not installed")
    return server


def raw(server: MailServer, tag: str) -> bytes:
    (item,) = [
        r for r in server.sink.received if f"Subject: {tag}\r\n".encode() in r.data
    ]
    return item.data


def verifies(server: MailServer, data: bytes) -> bool:
    assert server.dkim is not None
    return bool(dkim.verify(data, dnsfunc=server.dkim.dnsfunc))


def test_a_converted_message_is_signed_as_converted(signing: MailServer) -> None:
    before = mail(signing.sink)
    sent = signing.send(mass_mail(CONVERTER, "dkim-convert"), CONVERTER, CROWD)
    assert sent.returncode == 0, sent.stdout
    wait_delivered(signing.sink, before + 1)
    (message,) = delivered(signing, "dkim-convert")
    assert message["Cc"] is None
    assert "DKIM-Signature" in message
    assert verifies(signing, raw(signing, "dkim-convert"))


def test_a_release_converted_to_bcc_is_signed_afresh(signing: MailServer) -> None:
    sent = signing.send(mass_mail(HOLDER, "dkim-release"), HOLDER, CROWD)
    assert sent.returncode == 0, sent.stdout

    def row() -> dict[str, object] | None:
        rows = json.loads(signing.cli("held", "list", "--json").stdout)
        found = [r for r in rows if r["subject"] == "dkim-release"]
        return found[0] if found else None

    wait_for(lambda: row() is not None)
    held = row()
    assert held is not None
    before = mail(signing.sink)
    done = signing.cli("held", "release", str(held["id"]), "--bcc")
    assert done.returncode == 0, done.stderr
    wait_delivered(signing.sink, before + 1)
    data = raw(signing, "dkim-release")
    assert data.count(b"DKIM-Signature:") == 1
    assert verifies(signing, data)


def test_a_release_as_is_keeps_the_signature_made_when_it_was_held(
    signing: MailServer,
) -> None:
    sent = signing.send(mass_mail(HOLDER, "dkim-as-is"), HOLDER, CROWD)
    assert sent.returncode == 0, sent.stdout
    wait_for(lambda: held_row(signing, "dkim-as-is") is not None)
    held = held_row(signing, "dkim-as-is")
    assert held is not None
    before = mail(signing.sink)
    done = signing.cli("held", "release", str(held["id"]), "--as-is")
    assert done.returncode == 0, done.stderr
    wait_delivered(signing.sink, before + 1)
    data = raw(signing, "dkim-as-is")
    assert b"Cc: " in data  # unchanged
    assert verifies(signing, data)


def held_row(server: MailServer, subject: str) -> dict[str, object] | None:
    rows = json.loads(server.cli("held", "list", "--json").stdout)
    found = [r for r in rows if r["subject"] == subject]
    return found[0] if found else None


def test_tampering_is_caught(signing: MailServer) -> None:
    """The verification can fail: the same message with its To changed does not."""
    data = raw(signing, "dkim-convert")
    assert not verifies(signing, data.replace(b"To: Sender", b"To: Someone", 1))
