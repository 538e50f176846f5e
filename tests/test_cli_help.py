"""``--help`` of every command says what the command does, with an example."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from kiosk.cli import cli

#: Every command, read from the CLI itself (a new command is checked without listing it here).
TOP_LEVEL = tuple(sorted(cli.list_commands(click.Context(cli))))
COMMANDS = tuple(
    name
    for top in TOP_LEVEL
    for name in (
        [top]
        + [
            f"{top} {sub}"
            for sub in getattr(cli.get_command(click.Context(cli), top), "commands", {})
        ]
    )
)


def test_every_command_is_checked() -> None:
    assert {"validate", "schema", "export", "stats", "run", "init", "simulate", "sync"} <= set(
        COMMANDS
    )
    assert {"collector serve", "collector export"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_says_what_the_command_does_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [*command.split(), "--help"], prog_name="kiosk")
    assert result.exit_code == 0, result.output
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 20, f"kiosk {command} --help has no description"
    examples = result.output.split("Example", 1)
    assert len(examples) == 2, f"kiosk {command} --help has no example"
    assert re.search(rf"^\s+kiosk {command}\b", examples[1], re.MULTILINE), examples[1]


@pytest.mark.parametrize("command", TOP_LEVEL)
def test_short_help_in_the_command_list(command: str) -> None:
    listing = CliRunner().invoke(cli, ["--help"], prog_name="kiosk").output
    assert re.search(rf"^\s+{command}\s+\S", listing, re.MULTILINE), listing
