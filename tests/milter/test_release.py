"""Releasing from Postfix's hold queue: once, converted or as is; discarding; and a
crash between the re-injection and the deletion of the held copy."""

from __future__ import annotations

import json
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from tests.milter.mail_server import (
    HOLDER,
    QUEUE_HELPER,
    MailServer,
    mail,
    milter_toml,
    wait_delivered,
)
from tests.milter.test_postfix_milter import CROWD, delivered, mass_mail
from tests.support import wait_for


def hold(server: MailServer, tag: str) -> dict[str, object]:
    """Submit a mass mail that the policy holds; its row in ``held list --json``."""
    sent = server.send(mass_mail(HOLDER, tag), HOLDER, CROWD)
    assert sent.returncode == 0, sent.stdout
    wait_for(lambda: any(r["subject"] == tag for r in listing(server)))
    (row,) = [r for r in listing(server) if r["subject"] == tag]
    return row


def listing(server: MailServer) -> list[dict[str, object]]:
    done = server.cli("held", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def held_ids(server: MailServer) -> set[str]:
    return {m["queue_id"] for m in server.held()}


def test_release_bcc_delivers_once_converted(server: MailServer) -> None:
    row = hold(server, "release-bcc")
    before = mail(server.sink)
    done = server.cli("held", "release", str(row["id"]), "--bcc")
    assert done.returncode == 0, done.stderr + done.stdout
    wait_delivered(server.sink, before + 1)
    (message,) = delivered(server, "release-bcc")
    assert message["To"] == f"Sender <{HOLDER}>"
    assert message["Cc"] is None
    assert message["X-BccGuard-Release"] is None
    (item,) = [
        r for r in server.sink.received if b"Subject: release-bcc\r\n" in r.data[:4000]
    ]
    assert sorted(item.rcpt_tos) == sorted(CROWD)
    assert row["queue_id"] not in held_ids(server)
    again = server.cli("held", "release", str(row["id"]), "--bcc")
    assert again.returncode == 2
    server.flush()
    assert len(delivered(server, "release-bcc")) == 1


@pytest.mark.parametrize("how", ["reinject", "in-place"])
def test_release_as_is_delivers_once_unchanged(server: MailServer, how: str) -> None:
    tag = f"release-as-is-{how}"
    row = hold(server, tag)
    before = mail(server.sink)
    settings = server.home / "milter.toml"
    normal = settings.read_text()
    settings.write_text(
        normal.replace("[milter]\n", f'[milter]\nas_is_release = "{how}"\n')
    )
    try:
        done = server.cli("held", "release", str(row["id"]), "--as-is")
    finally:
        settings.write_text(normal)
    assert done.returncode == 0, done.stderr + done.stdout
    wait_delivered(server.sink, before + 1)
    (message,) = delivered(server, tag)
    assert message["Cc"] == ", ".join(CROWD[3:])
    assert message["X-BccGuard"] is None
    assert row["queue_id"] not in held_ids(server)
    assert server.cli("held", "release", str(row["id"]), "--as-is").returncode == 2
    # Released as is, its thread is an exposed one for the reply-all brake.
    with closing(sqlite3.connect(server.home / "milter-threads.sqlite")) as db:
        threads = {r[0] for r in db.execute("SELECT message_id FROM threads")}
    assert f"<{tag}@example.com>" in threads
    server.flush()
    assert len(delivered(server, tag)) == 1


def test_discard_deletes_the_held_copy(server: MailServer) -> None:
    row = hold(server, "discard-1")
    done = server.cli("held", "discard", str(row["id"]))
    assert done.returncode == 0, done.stderr
    assert row["queue_id"] not in held_ids(server)
    assert all(r["id"] != row["id"] for r in listing(server))
    server.flush()
    assert delivered(server, "discard-1") == []


def crashing_helper(folder: Path) -> Path:
    """The queue helper, except that it kills its caller instead of deleting: a
    crash right after the converted copy was re-injected."""
    script = folder / "crash-before-delete"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = delete ]; then kill -9 "$PPID"; sleep 5; exit 1; fi\n'
        f'exec "{QUEUE_HELPER}" "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_a_crash_between_reinjection_and_deletion_sends_nothing_twice(
    server: MailServer,
) -> None:
    row = hold(server, "crash-1")
    settings = server.home / "milter.toml"
    normal = settings.read_text()
    helper = crashing_helper(server.home)
    settings.write_text(normal.replace(str(QUEUE_HELPER), str(helper)))
    try:
        before = mail(server.sink)
        crashed = server.cli("held", "release", str(row["id"]), "--bcc")
        assert crashed.returncode == -9
    finally:
        settings.write_text(normal)
    wait_delivered(server.sink, before + 1)
    assert len(delivered(server, "crash-1")) == 1
    # Nothing lost: the held copy is still there; nothing sent again by itself.
    assert row["queue_id"] in held_ids(server)
    (after,) = [r for r in listing(server) if r["id"] == row["id"]]
    assert after["state"] == "uncertain"
    assert "may have been sent" in str(after["outcome"])
    # The administrator says it went out: the held copy goes, nothing is sent.
    done = server.cli("held", "discard", str(row["id"]))
    assert done.returncode == 0, done.stderr
    assert row["queue_id"] not in held_ids(server)
    server.flush()
    assert len(delivered(server, "crash-1")) == 1
    assert milter_toml(server.etc) == normal
