"""``bccguard check --rules`` applies the recipient rules of the settings file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bccguard.adapters import paths
from bccguard.adapters.settings_file import save_settings
from bccguard.core.rule_settings import ListSettings, RuleSettings
from bccguard.core.settings import Settings

PARENTS = [f"parent{i}@home{i}.example" for i in range(3)]


def _check(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, paths.HOME_VARIABLE: str(home), "LANGUAGE": "en"}
    return subprocess.run(
        [sys.executable, "-m", "bccguard", "check", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
    )


def _message(tmp_path: Path) -> Path:
    path = tmp_path / "parents.eml"
    path.write_bytes(
        f"From: me@school.example\r\nTo: {', '.join(PARENTS)}\r\n\r\n".encode()
    )
    return path


def test_check_json_says_the_rule_that_decided(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    save_settings(
        paths.config_file(home),
        Settings(
            lists=(ListSettings("Parents 3B", tuple(PARENTS)),),
            rules=(RuleSettings("Parents 3B", "bcc", lists=("Parents 3B",)),),
        ),
    )
    eml = _message(tmp_path)
    done = _check(home, "--json", "--rules", str(eml))
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["reasons"][0] == "rule 'Parents 3B' always sends Bcc"
    assert (result["action"], result["recipient_rule"]) == (
        "convert",
        {"name": "Parents 3B", "effect": "bcc"},
    )
    text = _check(home, "--rules", str(eml))
    assert text.stdout.startswith("HOLD: rule 'Parents 3B' always sends Bcc")
    # Without --rules the check is the plain count, as scripts expect.
    assert _check(home, "--json", str(eml)).returncode == 0


def test_a_bad_rule_in_the_settings_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = paths.config_file(home)
    config.parent.mkdir(parents=True)
    config.write_text('[[rules]]\nname = "x"\neffect = "bcc"\n', encoding="utf-8")
    done = _check(home, "--rules", str(_message(tmp_path)))
    assert done.returncode == 2
    assert done.stderr == "rules[0]: names no list, address or domain\n"
