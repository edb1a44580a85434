"""The deployment files: the sample milter.toml is what the milter reads (its
defaults), and Postfix accepts the main.cf and master.cf snippets."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bccguard.milter.config import MilterSettings, load_milter_settings
from tests.milter.mail_server import REPO

PACKAGING = REPO / "packaging" / "milter"


def test_the_sample_settings_are_the_defaults() -> None:
    assert load_milter_settings(PACKAGING / "milter.toml") == MilterSettings()


@pytest.mark.skipif(shutil.which("postconf") is None, reason="Postfix is not installed")
def test_postfix_reads_the_snippets_without_a_warning(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(
        "compatibility_level = 3.6\n" + (PACKAGING / "main.cf").read_text()
    )
    (tmp_path / "master.cf").write_text((PACKAGING / "master.cf").read_text())
    main = subprocess.run(
        ["postconf", "-c", str(tmp_path), "-n"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert main.stderr == ""
    assert "milter_default_action = tempfail" in main.stdout
    master = subprocess.run(
        ["postconf", "-c", str(tmp_path), "-P"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert master.stderr == ""
    assert "submission/inet/smtpd_milters = inet:127.0.0.1:8899" in master.stdout


def test_the_queue_helper_refuses_what_is_not_a_queue_id(tmp_path: Path) -> None:
    for bad in ("", "-c/etc", "ABC;rm", "../x"):
        done = subprocess.run(
            [str(PACKAGING / "postfix-queue"), "show", bad],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2, bad
    done = subprocess.run(
        [str(PACKAGING / "postfix-queue"), "requeue", "ABC123"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
