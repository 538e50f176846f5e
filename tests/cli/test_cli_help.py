"""``--help`` of every command says what the command does, with an example."""

from __future__ import annotations

import re
from pathlib import Path

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


def _command(path: str) -> click.Command:
    command: click.Command = cli
    for part in path.split():
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), part)
        assert found is not None
        command = found
    return command


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help_text(command: str) -> None:
    missing = [
        param.opts[0]
        for param in _command(command).params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert missing == [], f"kiosk {command}: options without help: {missing}"


def _bad_values(command: click.Command) -> list[list[str]]:
    """Argument lists that must be refused before the command does anything."""
    cases = [["--no-such-option"]]
    for param in command.params:
        if not isinstance(param, click.Option) or param.is_flag or param.hidden:
            continue
        kind = param.type
        checked = isinstance(kind, click.types._NumberParamTypeBase | click.Choice) or (
            isinstance(kind, click.Path) and kind.exists
        )
        if checked:
            cases.append([param.opts[-1], "%no such thing%"])
    return cases


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_arguments_get_an_error_line_never_a_traceback(command: str) -> None:
    for arguments in _bad_values(_command(command)):
        result = CliRunner().invoke(cli, [*command.split(), *arguments], prog_name="kiosk")
        shown = f"kiosk {command} {' '.join(arguments)}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{shown} raised {result.exception!r}"
        )
        assert result.exit_code != 0, shown
        assert "Error:" in result.output, f"{shown}: {result.output}"
        assert "Traceback" not in result.output, shown


#: Options that name a file or folder without a click.Path type (a URL is possible, say).
PATH_OPTIONS = {"data_dir", "db", "config_path", "token_file", "out", "output", "summary_json"}


def _path_options(command: click.Command) -> list[str]:
    return [
        param.opts[-1]
        for param in command.params
        if isinstance(param, click.Option)
        and not param.is_flag
        and not param.hidden
        and (isinstance(param.type, click.Path) or param.name in PATH_OPTIONS)
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_path_that_cannot_be_a_path_gets_an_error_line(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file or folder option given a path under a regular file (it can neither exist
    nor be made): the command ends with an ``Error:`` line, not a traceback, nor a message
    of its own without the word, nor success. Prompts are answered with their defaults."""
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    blocked = str(tmp_path / "a-file" / "x")
    env = {"KIOSK_DATA": blocked, "KIOSK_TOKEN": "", "KIOSK_COLLECTOR_DB": ""}
    for n, option in enumerate(_path_options(_command(command))):
        folder = tmp_path / str(n)
        folder.mkdir()
        monkeypatch.chdir(folder)  # kiosk init writes its kiosk.toml here
        result = CliRunner().invoke(
            cli, [*command.split(), option, blocked], prog_name="kiosk", env=env, input="\n" * 20
        )
        shown = f"kiosk {command} {option} {blocked}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{shown} raised {result.exception!r}"
        )
        assert result.exit_code != 0, f"{shown}: {result.output}"
        assert "Error:" in result.output, f"{shown}: {result.output}"
        assert "Traceback" not in result.output, shown
