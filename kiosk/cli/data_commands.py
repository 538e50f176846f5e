"""``kiosk export`` and ``kiosk stats``: the organiser's view of what a kiosk collected."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from kiosk.cli.errors import EXIT_FAILED, fail
from kiosk.cli.options import data_option
from kiosk.cli.output import OutputFile, report_written
from kiosk.cli.report_command import filter_options
from kiosk.paths import SURVEYS_DIR
from kiosk.records import REHEARSAL_PREFIX


def open_store_or_exit(data_dir: Path, *, must_exist: bool = True, read_only: bool = True) -> Any:
    """Open the store with a clear message (never a traceback) when it cannot be opened.

    Read-only by default: export and stats must work on a write-protected copy and
    must never change what they read.
    """
    from kiosk.store import RecordStore, StoreError

    if must_exist and not (data_dir / "store").is_dir():
        fail(f"no kiosk data in {data_dir}: give its data directory with --data DIR", EXIT_FAILED)
    try:
        store = RecordStore(data_dir, read_only=read_only)
    except StoreError as exc:
        fail(f"cannot open the store in {data_dir}: {exc}", EXIT_FAILED)
    except OSError as exc:
        reason = f"{exc.strerror} ({exc.filename})"
        fail(f"cannot open the store in {data_dir}: {reason}", EXIT_FAILED)
    for problem in store.health().problems:
        click.echo(f"warning: {problem}", err=True)
    return store


def load_valid_surveys(files: Iterable[Path]) -> list[Any]:
    """The surveys of the files that are valid (an invalid one is left out here)."""
    from kiosk.survey import SurveyError, load_survey

    surveys = []
    for path in files:
        try:
            surveys.append(load_survey(path))
        except SurveyError:
            continue
    return surveys


def survey_question_orders(files: Iterable[Path]) -> dict[str, list[str]]:
    """Question ids in survey order, by survey id, from the survey files that are valid."""
    return {
        # info screens have no answer; a contact step's are kept apart from the answers
        survey.id: [q.id for q in survey.all_questions() if q.type not in ("info", "contact")]
        for survey in load_valid_surveys(files)
    }


def _survey_files(given: tuple[Path, ...]) -> list[Path]:
    return list(given) or sorted(SURVEYS_DIR.glob("*.yaml"))


survey_files_option = click.option(
    "--survey-file",
    "survey_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Survey definitions (default: the bundled surveys/): CSV column order, and what "
    "answers are checked against.",
)


@click.command()
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "xlsx"]),
    default="jsonl",
    show_default=True,
    help="jsonl: records as stored; csv: one file per survey, a column per question; "
    "xlsx: an Excel workbook for people (docs/results.md).",
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
@survey_files_option
@click.option(
    "--drop-misfits",
    is_flag=True,
    help="Leave out records whose answers do not fit their survey (see kiosk stats).",
)
@click.option(
    "--dialect",
    type=click.Choice(["plain", "excel"]),
    default="plain",
    show_default=True,
    help="CSV: 'excel' writes a UTF-8 BOM and ';' separators, as Danish Excel expects.",
)
@click.option("--labels", is_flag=True, help="CSV: the texts visitors saw instead of choice ids.")
@filter_options
def export(
    data_dir: Path,
    fmt: str,
    out_arg: str | None,
    survey_id: str | None,
    include_contact: bool,
    survey_files: tuple[Path, ...],
    drop_misfits: bool,
    dialect: str,
    labels: bool,
    kiosks: tuple[str, ...],
    date_from: Any,
    date_to: Any,
    include_partial: bool,
    include_suspect: bool,
    lang: str,
) -> None:
    """Export the stored records as JSON lines, CSV or an Excel workbook.

    JSONL has one record a line, as stored, without the kiosk's local-only
    fields. CSV has one row per record and one column per question id in
    survey order, one file per survey (--dialect excel --labels for Danish
    Excel). XLSX is one workbook for people: per survey a sheet of responses
    headed by the question texts (--lang), idea cards, a codebook and "Om
    udtrækket"; the filters (--kiosk, --from, --to, --no-partial,
    --include-suspect) apply to it. Contact details are left out unless
    --include-contact is given.

    \b
    Examples:
        kiosk export --data /media/usb/kiosk-1 --format xlsx --out resultater.xlsx
        kiosk export --data /media/usb/kiosk-1 --format jsonl --out kiosk-1.jsonl
        kiosk export --data /media/usb/kiosk-1 --format csv --dialect excel --labels --out results/
        kiosk export --format csv --survey gentofte-moedes > gentofte.csv
    """
    from kiosk.cli.output import out_folder, output_file
    from kiosk.export import export_csv, export_jsonl
    from kiosk.sanitize import clean_record

    out = Path(out_arg) if out_arg else None
    if fmt == "xlsx":
        _export_xlsx(
            data_dir,
            out,
            survey_id,
            include_contact,
            survey_files,
            filter_args=(kiosks, date_from, date_to, include_partial, include_suspect),
            lang=lang,
        )
        return
    store = open_store_or_exit(data_dir)
    with store:
        # what the kiosk stored it cleaned; a forged line was never typed: cleaned here too
        records = [clean_record(r) for r in store.records(survey_id=survey_id)]
        if drop_misfits:
            records = _without_misfits(records, _survey_files(survey_files))
        contacts = clean_record(store.contacts()) if include_contact else None
        if survey_id is not None and not records:
            here = sorted({r.get("survey_id", "?") for r in store.records()})
            click.echo(
                f"warning: no records of survey {survey_id!r} in {data_dir}"
                + (f" (it holds {', '.join(here)})" if here else " (it holds no records)"),
                err=True,
            )
    if fmt == "jsonl":
        with OutputFile(out) as stream:
            count = export_jsonl(records, stream, contacts)
        report_written(count, out)
        return

    if labels:
        records = _with_labels(records, survey_files, lang)
    by_survey: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_survey.setdefault(record.get("survey_id", "?"), []).append(record)
    orders = survey_question_orders(_survey_files(survey_files))
    folder = out_folder(out_arg)  # "results/" names a folder even before it exists
    if len(by_survey) > 1 and folder is None:
        names = ", ".join(sorted(by_survey))
        click.echo(
            f"The data holds records of {len(by_survey)} surveys ({names}); CSV is one file per "
            "survey: give --survey ID, or a directory: --out DIR/ (created if missing).",
            err=True,
        )
        sys.exit(2)
    if survey_id is not None and not by_survey:
        by_survey[survey_id] = []  # a header alone: an empty result still has its columns
    taken: set[str] = set()
    for sid, rows in sorted(by_survey.items()):
        target = out
        if folder is not None:
            try:  # a file name from a safe slug of the id: never a path from a record
                target = output_file(folder, str(sid), taken)
            except ValueError as exc:
                fail(f"not writing survey {sid}: {exc}", EXIT_FAILED)
        with OutputFile(target, bom=dialect == "excel") as stream:
            delimiter = ";" if dialect == "excel" else ","
            count = export_csv(rows, stream, orders.get(sid, ()), contacts, delimiter)
        report_written(count, target)
    if not by_survey:
        report_written(0, out)


def _without_misfits(records: list[dict[str, Any]], files: list[Path]) -> list[dict[str, Any]]:
    """The records whose answers fit their survey; says on stderr how many were left out."""
    from kiosk.survey.answers import records_that_misfit

    found, unchecked = records_that_misfit(records, load_valid_surveys(files))
    left_out = {id(record) for record, _ in found}
    if found:
        click.echo(
            f"Left out {len(found)} record{'s' if len(found) != 1 else ''} whose answers do "
            "not fit their survey (kiosk stats --json lists them).",
            err=True,
        )
    if unchecked:
        click.echo(
            f"warning: {unchecked} record{'s' if unchecked != 1 else ''} not checked: their "
            "survey version is not among the survey files (give it with --survey-file).",
            err=True,
        )
    return [r for r in records if id(r) not in left_out]


@click.command()
@data_option
@survey_files_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (for scripts).")
def stats(data_dir: Path, survey_files: tuple[Path, ...], as_json: bool) -> None:
    """Show counts per survey and kind: completed, partial, synced, pending; the kiosk ids
    in the data (rehearsal records apart); and records whose answers do not fit their
    survey (saved by a kiosk before it checked them).

    \b
    Examples:
        kiosk stats --data /media/usb/kiosk-1
        kiosk stats --data /media/usb/kiosk-1 --json
    """
    from kiosk.survey.answers import records_that_misfit

    store = open_store_or_exit(data_dir)
    with store:
        counts = store.counts()
        health = store.health()
        records = store.records()
    misfits, unchecked = records_that_misfit(
        records, load_valid_surveys(_survey_files(survey_files))
    )
    kiosks = Counter(str(r.get("kiosk_id")) for r in records)
    figures = {
        "data_dir": str(data_dir),
        "records": health.records,
        "pending": health.pending,
        "surveys": [
            {"survey": survey_id, "kind": kind, **asdict(c)}
            for (survey_id, kind), c in sorted(counts.items())
        ],
        "kiosk_ids": dict(sorted(kiosks.items())),
        "rehearsal_records": sum(n for k, n in kiosks.items() if k.startswith(REHEARSAL_PREFIX)),
        "misfits": [
            {"id": r.get("id"), "survey_id": r.get("survey_id"), "problems": problems}
            for r, problems in misfits
        ],
        "unchecked": unchecked,
        "problems": list(health.problems),
    }
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    _print_stats(figures, counts, misfits)


def _print_stats(figures: dict[str, Any], counts: dict[Any, Any], misfits: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Borgerkiosk data in {figures['data_dir']}")
    columns = ("completed", "partial", "synced", "pending", "rejected", "suspect")
    for column in ("survey", "kind", *columns):
        table.add_column(column, justify="left" if column in ("survey", "kind") else "right")
    for row in figures["surveys"]:
        table.add_row(row["survey"], row["kind"], *(str(row[c]) for c in columns))
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table, markup=False)
    console.print(f"{figures['records']} records, {figures['pending']} waiting to sync.")
    if figures["kiosk_ids"]:
        ids = ", ".join(f"{k} ({n})" for k, n in figures["kiosk_ids"].items())
        console.print(f"Kiosk ids: {ids}", markup=False)
    if figures["rehearsal_records"]:
        console.print(
            f"{figures['rehearsal_records']} of them are rehearsal records (kiosk simulate, "
            f"kiosk ids starting with {REHEARSAL_PREFIX!r}).",
            markup=False,
        )
    if not counts and not figures["problems"]:
        console.print("No records yet.")
    elif not counts:
        console.print("No records could be read: see the warnings above.")
    if misfits:
        console.print(
            f"{len(misfits)} record{'s' if len(misfits) != 1 else ''} with answers that do not "
            "fit their survey (kiosk export --drop-misfits leaves them out):",
            markup=False,
        )
        for line in misfit_summary(misfits):
            console.print(line, markup=False)
    elif figures["records"]:
        console.print("Every checked record's answers fit its survey.")
    unchecked = figures["unchecked"]
    if unchecked:
        console.print(
            f"{unchecked} record{'s' if unchecked != 1 else ''} not checked: their survey "
            "version is not among the survey files (give it with --survey-file).",
            markup=False,
        )


#: Examples shown per reason by ``kiosk stats``; ``--json`` lists every record.
MISFIT_EXAMPLES = 3


def misfit_summary(misfits: list[Any]) -> list[str]:
    """Misfit answers grouped by reason, the commonest first: a count and a few records each.

    One line per record flooded the terminal (300 lines for 300 records). No answer is
    shown, only where it is; a question id is the record's own key (the store sets aside
    one with a control character, but a forged one may be long), so it is cut short.
    """
    from kiosk.sanitize import clean_text

    by_reason: dict[str, list[str]] = {}
    for record, problems in misfits:
        for question_id, reason in sorted(problems.items()):
            question = clean_text(str(question_id), 60) or "_"
            example = f"{record.get('survey_id')} {record.get('id')}: {question}"
            by_reason.setdefault(clean_text(reason, 200), []).append(example)
    lines: list[str] = []
    for reason, examples in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        count = len(examples)
        lines.append(f"  {reason}: {count} answer{'s' if count != 1 else ''}, e.g.")
        lines.extend(f"    {example}" for example in examples[:MISFIT_EXAMPLES])
        if count > MISFIT_EXAMPLES:
            lines.append(f"    … and {count - MISFIT_EXAMPLES} more")
    if any(len(examples) > MISFIT_EXAMPLES for examples in by_reason.values()):
        lines.append('  Every one: kiosk stats --json (its "misfits" list).')
    return lines


def _with_labels(
    records: list[dict[str, Any]], survey_files: tuple[Path, ...], lang: str
) -> list[dict[str, Any]]:
    """Records whose answers hold the texts visitors saw (``--labels``)."""
    from kiosk.cli.report_command import load_definitions_or_warn
    from kiosk.i18n import Translator
    from kiosk.results.model import labelled

    definitions = load_definitions_or_warn(survey_files)
    t = Translator(lang)
    yes_no = (t("question.yes"), t("question.no"))
    return [labelled(record, definitions, lang, yes_no) for record in records]


def _export_xlsx(
    data_dir: Path,
    out: Path | None,
    survey_id: str | None,
    include_contact: bool,
    survey_files: tuple[Path, ...],
    filter_args: tuple[Any, ...],
    lang: str,
) -> None:
    """``--format xlsx``: the workbook, written through a temporary file."""
    from kiosk.cli.report_command import (
        load_definitions_or_warn,
        read_data_dirs,
        write_xlsx_or_exit,
    )

    if out is None or out.is_dir():
        fail("an Excel workbook needs a file name: --out results.xlsx", EXIT_FAILED)
    definitions = load_definitions_or_warn(survey_files, [data_dir])
    collected = read_data_dirs([data_dir], include_contact)
    write_xlsx_or_exit(out, collected, definitions, [str(data_dir)], survey_id, filter_args, lang)
