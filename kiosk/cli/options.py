"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kiosk.paths import resolve_data_dir


def _to_data_dir(ctx: click.Context, param: click.Parameter, value: str | None) -> Path:
    return resolve_data_dir(value)


def data_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--data DIR``: the kiosk's data directory (else $KIOSK_DATA, else the user data dir)."""
    return click.option(
        "--data",
        "data_dir",
        metavar="DIR",
        callback=_to_data_dir,
        help="Data directory. Default: $KIOSK_DATA, else the user data directory.",
    )(func)
