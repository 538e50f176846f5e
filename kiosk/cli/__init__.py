"""The ``kiosk`` command: one click group whose subcommands are imported only when used.

Lazy loading keeps ``kiosk --help`` and the kiosk's cold start fast: the
collector's web framework, for example, is never imported by ``kiosk run``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

#: command name -> "module:attribute" of the click command.
COMMANDS: dict[str, str] = {
    "validate": "kiosk.cli.survey_commands:validate",
    "schema": "kiosk.cli.survey_commands:schema",
    "export": "kiosk.cli.data_commands:export",
    "report": "kiosk.cli.report_command:report",
    "stats": "kiosk.cli.data_commands:stats",
    "repair": "kiosk.cli.repair_command:repair",
    "run": "kiosk.cli.run_commands:run",
    "init": "kiosk.cli.run_commands:init",
    "simulate": "kiosk.cli.run_commands:simulate",
    "serve": "kiosk.cli.serve_command:serve",
    "sync": "kiosk.cli.sync_commands:sync",
    "sync-after-event": "kiosk.cli.after_event_command:sync_after_event",
    "collector": "kiosk.cli.collector_commands:collector",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # a command whose module has not landed yet
            raise
        return getattr(module, attribute)

    def _available(self, name: str) -> bool:
        module_name = COMMANDS[name].split(":")[0]
        return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="borgerkiosk", prog_name="kiosk")
def cli() -> None:
    """Borgerkiosk: surveys and idea cards at citizen dialogue events.

    \b
    Start the kiosk on the bundled Gentofte Mødes survey:
        kiosk run
    Check a survey file before the event:
        kiosk validate surveys/gentofte-moedes.yaml
    """


def main() -> None:
    """Entry point of the ``kiosk`` console script."""
    try:
        cli(prog_name="kiosk")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
