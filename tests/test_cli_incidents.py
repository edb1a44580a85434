"""``bccguard incidents ...`` and ``bccguard apologize --print`` against a real log."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bccguard.adapters.incident_store import SqliteIncidentLog
from bccguard.cli import CliError, _Parser
from bccguard.cli_guard import GuardCliError
from bccguard.cli_incidents import add_incident_commands
from bccguard.core.incidents import Incident, IncidentKind

T0 = 1_734_000_000.0


def run(*argv: str) -> int:
    """What ``bccguard.cli.main`` does with these commands registered."""
    parser = _Parser(prog="bccguard")
    add_incident_commands(parser.add_subparsers(dest="command", parser_class=_Parser))
    try:
        args = parser.parse_args(argv)
        command: Callable[[argparse.Namespace], int] = args.run
        return command(args)
    except (CliError, GuardCliError) as error:
        print(error, file=sys.stderr)
        return 2


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BCCGUARD_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def incident(home: Path) -> Incident:
    return SqliteIncidentLog.in_home(home).record(
        Incident.new(
            IncidentKind.SENT_AS_IS,
            T0,
            exposed=["mario.rossi@libero.it", "b@gmail.com", "c@gmail.com"],
            message_id="<m@x.example>",
            subject="Auguri",
            sender="anna.ferri@studio.example",
        )
    )


def test_list_plain_and_json(
    incident: Incident, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("incidents", "list") == 0
    out = capsys.readouterr().out
    assert incident.id in out
    assert "sent-as-is" in out
    assert "3 exposed" in out
    assert run("incidents", "list", "--json") == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["id"] == incident.id
    assert listed["domains"] == [["gmail.com", 2], ["libero.it", 1]]


def test_list_when_empty(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("incidents", "list") == 0
    assert capsys.readouterr().out == "no incidents recorded\n"


def test_mark_notifiable_then_export_shows_the_clock(
    incident: Incident, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run("incidents", "mark-notifiable", incident.id) == 0
    assert "possibly notifiable; notify by" in capsys.readouterr().out
    assert SqliteIncidentLog.in_home(tmp_path).get(incident.id).possibly_notifiable  # type: ignore[union-attr]

    assert run("incidents", "export", "--format", "json") == 0
    (record,) = json.loads(capsys.readouterr().out)["incidents"]
    assert record["possibly_notifiable"] is True
    assert record["people_affected"] == 3
    assert "notification_deadline" in record

    target = tmp_path / "record.csv"
    assert run("incidents", "export", "--format", "csv", "-o", str(target)) == 0
    (row,) = csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline=""))
    assert row["id"] == incident.id
    assert row["possibly_notifiable"] == "yes"

    assert run("incidents", "export", "--format", "md") == 0
    assert "**Possibly notifiable.**" in capsys.readouterr().out


def test_apologize_print_renders_a_template(
    incident: Incident, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("apologize", "--incident", incident.id, "--print", "--lang", "it") == 0
    out = capsys.readouterr().out
    assert out.startswith("Oggetto: Le mie scuse")
    assert '"Auguri"' in out
    assert out.rstrip().endswith("Anna Ferri")


def test_apologize_print_individual_needs_a_person(
    incident: Incident, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["apologize", "--incident", incident.id, "--print"]
    args += ["--situation", "complaint", "--audience", "individual"]
    assert run(*args) == 2
    assert (
        capsys.readouterr().err == "--to ADDRESS is needed for an individual apology\n"
    )
    assert run(*args, "--to", "mario.rossi@libero.it") == 0
    assert "Dear Mario Rossi," in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["incidents", "mark-notifiable", "nope"], "no incident nope\n"),
        (["apologize", "--incident", "nope", "--print"], "no incident nope\n"),
        (
            ["incidents", "export", "--format", "xml"],
            "argument --format: invalid choice",
        ),
    ],
)
def test_errors_are_one_line_and_exit_2(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], error: str
) -> None:
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert error in err
    assert err.count("\n") == 1


def test_a_template_without_that_audience_is_an_error(
    incident: Incident, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["apologize", "--incident", incident.id, "--print", "--situation"]
    assert run(*argv, "reply-all", "--audience", "individual", "--to", "a@b.c") == 2
    assert capsys.readouterr().err == "no individual template for reply-all in en\n"


def test_export_to_an_unwritable_place_is_an_error(
    incident: Incident, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "out.md"
    assert run("incidents", "export", "--format", "md", "-o", str(target)) == 2
    assert capsys.readouterr().err.startswith(f"cannot write {target}:")
