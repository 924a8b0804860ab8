"""The README documents every command, and its two commands are the ones CI runs."""

import re
from pathlib import Path

from search.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_names() -> list[str]:
    return [c.name or c.callback.__name__ for c in app.registered_commands]


def test_every_command_has_a_readme_section():
    for name in command_names():
        assert re.search(rf"^### `wpkb {name}\b", README, re.M), f"README lacks a section for `wpkb {name}`"


def test_ci_runs_the_readme_test_command():
    test_command = re.search(r"Run the tests:\s*```(?:bash)?\n(.+?)\n```", README, re.S).group(1).strip()
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_readme_setup_installs_torch_before_the_project():
    setup = re.search(r"Set up and ask:\s*```(?:bash)?\n(.+?)\n```", README, re.S).group(1)
    assert setup.index("torch==2.13.0") < setup.index("-e .")
