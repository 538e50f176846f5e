"""``kiosk export`` and ``kiosk stats``: the organiser's view of what a kiosk collected."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from kiosk.cli.options import data_option
from kiosk.paths import SURVEYS_DIR


def open_store_or_exit(data_dir: Path, *, must_exist: bool = True) -> Any:
    """Open the store with a clear message (never a traceback) when it cannot be opened."""
    from kiosk.store import RecordStore, StoreError

    if must_exist and not (data_dir / "store").is_dir():
        click.echo(
            f"No kiosk data in {data_dir}: give the kiosk's data directory with --data DIR.",
            err=True,
        )
        sys.exit(2)
    try:
        store = RecordStore(data_dir)
    except StoreError as exc:
        click.echo(f"Cannot open the store in {data_dir}: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        reason = f"{exc.strerror} ({exc.filename})"
        click.echo(f"Cannot open the store in {data_dir}: {reason}", err=True)
        sys.exit(2)
    for problem in store.health().problems:
        click.echo(f"warning: {problem}", err=True)
    return store


def survey_question_orders(files: Iterable[Path]) -> dict[str, list[str]]:
    """Question ids in survey order, by survey id, from the survey files that are valid."""
    from kiosk.survey import SurveyError, load_survey

    orders: dict[str, list[str]] = {}
    for path in files:
        try:
            survey = load_survey(path)
        except SurveyError:
            continue
        # info screens have no answer; a contact step's are kept apart from the answers
        answered = [q for q in survey.all_questions() if q.type not in ("info", "contact")]
        orders[survey.id] = [q.id for q in answered]
    return orders


@click.command()
@data_option
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--out",
    "out_arg",
    metavar="PATH",
    type=click.Path(dir_okay=True),
    help="File to write; for CSV a directory (ending in '/' to create it) gets one file per "
    "survey. Default: stdout.",
)
@click.option("--survey", "survey_id", metavar="ID", help="Only records of this survey.")
@click.option(
    "--include-contact",
    is_flag=True,
    help="Include the contact details visitors consented to give. Handle with care.",
)
@click.option(
    "--survey-file",
    "survey_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Survey definitions for CSV column order (default: the bundled surveys/).",
)
def export(
    data_dir: Path,
    fmt: str,
    out_arg: str | None,
    survey_id: str | None,
    include_contact: bool,
    survey_files: tuple[Path, ...],
) -> None:
    """Export the stored records as JSON lines or CSV.

    JSONL has one record a line, as stored, without the kiosk's local-only
    fields. CSV has one row per record and one column per question id in
    survey order, one file per survey. Contact details are left out unless
    --include-contact is given.

    \b
    Examples:
        kiosk export --data /media/usb/kiosk-1 --format jsonl --out kiosk-1.jsonl
        kiosk export --data /media/usb/kiosk-1 --format csv --out results/
        kiosk export --format csv --survey gentofte-moedes > gentofte.csv
    """
    from kiosk.export import export_csv, export_jsonl

    out = Path(out_arg) if out_arg else None
    store = open_store_or_exit(data_dir)
    with store:
        records = store.records(survey_id=survey_id)
        contacts = store.contacts() if include_contact else None
        if survey_id is not None and not records:
            here = sorted({r.get("survey_id", "?") for r in store.records()})
            click.echo(
                f"warning: no records of survey {survey_id!r} in {data_dir}"
                + (f" (it holds {', '.join(here)})" if here else " (it holds no records)"),
                err=True,
            )
    # "results/" names a directory even before it exists: CSV files go inside it
    if out is not None and out_arg is not None and fmt == "csv" and out_arg.endswith(("/", os.sep)):
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            click.echo(f"Cannot create the directory {out}: {exc.strerror}", err=True)
            sys.exit(2)
    if fmt == "jsonl":
        with _output(out) as stream:
            count = export_jsonl(records, stream, contacts)
        _done(count, out)
        return

    by_survey: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_survey.setdefault(record["survey_id"], []).append(record)
    orders = survey_question_orders(survey_files or sorted(SURVEYS_DIR.glob("*.yaml")))
    if len(by_survey) > 1 and (out is None or not out.is_dir()):
        names = ", ".join(sorted(by_survey))
        click.echo(
            f"The data holds records of {len(by_survey)} surveys ({names}); CSV is one file per "
            "survey: give --survey ID, or a directory: --out DIR/ (created if missing).",
            err=True,
        )
        sys.exit(2)
    if survey_id is not None and not by_survey:
        by_survey[survey_id] = []  # a header alone: an empty result still has its columns
    for sid, rows in sorted(by_survey.items()):
        target = out / f"{sid}.csv" if out is not None and out.is_dir() else out
        with _output(target) as stream:
            count = export_csv(rows, stream, orders.get(sid, ()), contacts)
        _done(count, target)
    if not by_survey:
        _done(0, out)


@click.command()
@data_option
def stats(data_dir: Path) -> None:
    """Show counts per survey and kind: completed, partial, synced, pending.

    \b
    Example:
        kiosk stats --data /media/usb/kiosk-1
    """
    from rich.console import Console
    from rich.table import Table

    store = open_store_or_exit(data_dir)
    with store:
        counts = store.counts()
        health = store.health()
    table = Table(title=f"Borgerkiosk data in {data_dir}")
    for column in (
        "survey",
        "kind",
        "completed",
        "partial",
        "synced",
        "pending",
        "rejected",
        "suspect",
    ):
        table.add_column(column, justify="left" if column in ("survey", "kind") else "right")
    for (survey_id, kind), c in sorted(counts.items()):
        table.add_row(
            survey_id,
            kind,
            *(str(v) for v in (c.completed, c.partial, c.synced, c.pending, c.rejected, c.suspect)),
        )
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    console.print(f"{health.records} records, {health.pending} waiting to sync.")
    if not counts:
        console.print("No records yet.")


class _output:
    """A file to write, or stdout; creates parent folders and always closes what it opened."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stream: Any = None

    def __enter__(self) -> Any:
        if self.path is None:
            return sys.stdout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.stream = open(self.path, "w", encoding="utf-8", newline="")
        except OSError as exc:
            click.echo(f"Cannot write {self.path}: {exc.strerror}", err=True)
            sys.exit(2)
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()


def _done(count: int, out: Path | None) -> None:
    if out is not None:
        click.echo(f"Exported {count} record{'s' if count != 1 else ''} to {out}", err=True)
