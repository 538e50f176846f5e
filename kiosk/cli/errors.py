"""How a kiosk command ends on a problem: one ``Error:`` line, a named exit code, no traceback."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from kiosk.sync.summary import EXIT_USAGE

#: The input is unusable: a survey file, a config, a data directory, a language.
EXIT_PROBLEM = 1
#: The command could not do its job (a database, a port, a file it must write).
EXIT_FAILED = 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``Error: message`` on stderr and exit with ``code``."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)
