"""``--help`` of the survey and data commands says what the command does, with an example."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kiosk.cli import cli

#: The commands of the foundation; every line after "Example" that starts with "kiosk" is one.
FOUNDATION_COMMANDS = ("validate", "schema", "export", "stats")


@pytest.mark.parametrize("command", FOUNDATION_COMMANDS)
def test_help_says_what_the_command_does_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"], prog_name="kiosk")
    assert result.exit_code == 0, result.output
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 20, f"kiosk {command} --help has no description"
    examples = result.output.split("Example", 1)
    assert len(examples) == 2, f"kiosk {command} --help has no example"
    assert re.search(rf"^\s+kiosk {command}\b", examples[1], re.MULTILINE), examples[1]


@pytest.mark.parametrize("command", FOUNDATION_COMMANDS)
def test_short_help_in_the_command_list(command: str) -> None:
    listing = CliRunner().invoke(cli, ["--help"], prog_name="kiosk").output
    assert re.search(rf"^\s+{command}\s+\S", listing, re.MULTILINE), listing
