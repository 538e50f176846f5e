"""``kiosk repair``: the one command that rewrites a damaged store, on request only."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.cli.errors import EXIT_FAILED, EXIT_PROBLEM, fail
from kiosk.cli.options import data_option


@click.command()
@data_option
@click.option(
    "--accept-loss",
    is_flag=True,
    help="Repair even when lines that may hold records cannot be read and would be set aside.",
)
def repair(data_dir: Path, accept_loss: bool) -> None:
    """Set aside what the store holds that cannot be read, keeping a copy first.

    Opening a store (and every command that only reads) never rewrites it: a
    damaged line is reported and left where it is. This command writes the
    intact records as a new generation and moves the old files into a folder
    of the store's damaged/ directory. It refuses when the damaged lines may
    hold records, unless --accept-loss is given.

    \b
    Examples:
        kiosk repair --data /media/usb/kiosk-1
        kiosk repair --data /media/usb/kiosk-1 --accept-loss
    """
    from kiosk.store import RecordStore, RepairRefusedError, StoreError

    if not (data_dir / "store").is_dir():
        fail(f"no kiosk data in {data_dir}: give its data directory with --data DIR", EXIT_FAILED)
    try:
        store = RecordStore(data_dir)
    except StoreError as exc:
        fail(f"cannot open the store in {data_dir}: {exc}", EXIT_FAILED)
    with store:
        for problem in store.health().problems:
            click.echo(f"found: {problem}", err=True)
        try:
            result = store.repair(accept_loss=accept_loss)
        except RepairRefusedError as exc:
            fail(f"not repaired: {exc}", EXIT_PROBLEM)
        except StoreError as exc:
            fail(f"cannot repair the store in {data_dir}: {exc}", EXIT_FAILED)
    if result.backup is None:
        click.echo(f"Nothing to repair in {data_dir}: {result.records} records, all readable.")
        return
    click.echo(
        f"Repaired {data_dir}: {result.records} records kept, {result.set_aside} unreadable "
        f"line(s) or document(s) set aside; a copy of the store as it was is in {result.backup}"
    )
