"""SIGHUP reloads the policy; several To/Cc fields, folded fields and encoded
words are all rewritten (one To, no Cc, the envelope as it was)."""

from __future__ import annotations

import signal

from tests.milter.mail_server import (
    CONVERTER,
    THRESHOLD,
    MailServer,
    mail,
    wait_delivered,
)
from tests.milter.test_postfix_milter import CROWD, delivered, mass_mail
from tests.support import wait_for


def reloads(server: MailServer) -> int:
    return server.log.read_text(errors="replace").count("settings reloaded")


def test_sighup_reloads_the_policy(server: MailServer) -> None:
    config = server.home / "config.toml"
    normal = config.read_text()
    assert server.milter is not None
    try:
        config.write_text(normal.replace(f"threshold = {THRESHOLD}", "threshold = 50"))
        seen = reloads(server)
        server.milter.send_signal(signal.SIGHUP)
        wait_for(lambda: reloads(server) == seen + 1)
        before = mail(server.sink)
        sent = server.send(mass_mail(CONVERTER, "reloaded-1"), CONVERTER, CROWD)
        assert sent.returncode == 0, sent.stdout
        wait_delivered(server.sink, before + 1)
        (message,) = delivered(server, "reloaded-1")
        assert message["Cc"] is not None  # six exposed is under 50 now
    finally:
        config.write_text(normal)
        seen = reloads(server)
        server.milter.send_signal(signal.SIGHUP)
        wait_for(lambda: reloads(server) == seen + 1)
    assert server.milter.poll() is None  # SIGHUP did not stop it


def test_a_bad_settings_file_keeps_the_old_policy(server: MailServer) -> None:
    config = server.home / "config.toml"
    normal = config.read_text()
    assert server.milter is not None
    try:
        config.write_text("[policy]\nthreshold = -1\n")
        server.milter.send_signal(signal.SIGHUP)
        wait_for(lambda: "could not be reloaded" in server.log.read_text())
        before = mail(server.sink)
        assert (
            server.send(mass_mail(CONVERTER, "kept-1"), CONVERTER, CROWD).returncode
            == 0
        )
        wait_delivered(server.sink, before + 1)
        (message,) = delivered(server, "kept-1")
        assert message["Cc"] is None  # still converted under the old policy
    finally:
        config.write_text(normal)


def test_every_to_and_cc_field_folded_or_encoded_is_rewritten(
    server: MailServer,
) -> None:
    data = (
        b"From: =?utf-8?q?Ren=C3=A9e?= <convert@example.com>\r\n"
        b"To: =?utf-8?b?w4lsb8Ovc2U=?= <person0@example.org>,\r\n"
        b"\tperson1@example.org\r\n"
        b"Cc: person2@example.org\r\n"
        b"Subject: fields-1\r\n"
        b'To: "=?iso-8859-1?q?J=F6rg?=" <person3@example.org>\r\n'
        b"Message-ID: <fields-1@example.com>\r\n"
        b"Cc: team: person4@example.org,\r\n person5@example.org;\r\n"
        b"Bcc: hidden@example.org\r\n"
        b"\r\n"
        b"body\r\n"
    )
    before = mail(server.sink)
    everyone = [*CROWD, "hidden@example.org"]
    sent = server.send(data, CONVERTER, everyone)
    assert sent.returncode == 0, sent.stdout
    wait_delivered(server.sink, before + 1)
    (message,) = delivered(server, "fields-1")
    (to_field,) = message.get_all("To")
    assert str(to_field) == "Renée <convert@example.com>"  # the sender, as written
    assert message.get_all("Cc") is None
    assert message.get_all("Bcc") is None
    assert message["Message-ID"] == "<fields-1@example.com>"
    (item,) = [r for r in server.sink.received if b"Subject: fields-1\r\n" in r.data]
    assert sorted(item.rcpt_tos) == sorted(everyone)
    assert b"person3" not in item.data and b"hidden@" not in item.data


def test_mail_from_a_trusted_network_is_checked_without_sasl(
    server: MailServer,
) -> None:
    settings = server.home / "milter.toml"
    normal = settings.read_text()
    assert server.milter is not None
    before = mail(server.sink)
    sent = server.send(mass_mail(CONVERTER, "network-1"), CONVERTER, CROWD, auth=False)
    assert sent.returncode == 0, sent.stdout
    wait_delivered(server.sink, before + 1)
    (untouched,) = delivered(server, "network-1")
    assert untouched["Cc"] is not None  # no SASL, no trusted network: not checked
    try:
        settings.write_text(
            normal.replace(
                "[milter]\n", '[milter]\ntrusted_networks = ["127.0.0.0/8"]\n'
            )
        )
        seen = reloads(server)
        server.milter.send_signal(signal.SIGHUP)
        wait_for(lambda: reloads(server) == seen + 1)
        before = mail(server.sink)
        sent = server.send(
            mass_mail(CONVERTER, "network-2"), CONVERTER, CROWD, auth=False
        )
        assert sent.returncode == 0, sent.stdout
        wait_delivered(server.sink, before + 1)
        (converted,) = delivered(server, "network-2")
        assert converted["Cc"] is None
    finally:
        settings.write_text(normal)
        seen = reloads(server)
        server.milter.send_signal(signal.SIGHUP)
        wait_for(lambda: reloads(server) == seen + 1)
