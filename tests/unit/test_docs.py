"""The README documents every command and option, stays a user's page, and its two commands
are the ones CI runs."""

import re
from pathlib import Path

import typer

from wpkb.search.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_LIMIT = 12_000  # characters: what a user reads; the research record lives in docs/


def commands() -> dict:
    return typer.main.get_command(app).commands


def test_every_command_has_a_readme_section():
    for name in commands():
        assert re.search(rf"^### `wpkb {name}\b", README, re.M), f"README lacks a section for `wpkb {name}`"


def test_every_option_of_every_command_is_in_the_readme():
    for name, command in commands().items():
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-") and opt != "--help":
                    assert re.search(rf"`{re.escape(opt)}[ `=]", README), f"README lacks `{opt}` of `wpkb {name}`"


def test_readme_is_for_users_and_the_research_record_is_in_docs():
    assert len(README) <= README_LIMIT, f"README is {len(README)} characters"
    assert (ROOT / "docs" / "retrieval.md").is_file() and (ROOT / "docs" / "benchmarks.md").is_file()
    assert (ROOT / "CHANGELOG.md").is_file()


def test_ci_runs_the_readme_test_command():
    test_command = re.search(r"Run the tests:\s*```(?:bash)?\n(.+?)\n```", README, re.S).group(1).strip()
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_readme_setup_installs_torch_before_the_project():
    setup = re.search(r"Set up and ask:\s*```(?:bash)?\n(.+?)\n```", README, re.S).group(1)
    assert setup.index("torch==2.13.0") < setup.index("-e .")


def test_every_option_help_is_shown_whole():
    """Rich reads "[...]" in a help text as markup and drops it: each word must reach the screen."""
    from typer.testing import CliRunner

    for name, command in commands().items():
        shown = set(re.findall(r"[\w.-]+", CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output))
        for param in command.params:
            lost = [w for w in re.findall(r"[\w.-]+", getattr(param, "help", None) or "") if w not in shown]
            assert not lost, f"`wpkb {name} --help` drops {lost} from the help of {param.opts}"
