"""``kiosk report``: one HTML file a task committee reads on screen and prints on A4.

Also the options ``kiosk export --format xlsx`` shares with it (filters, language,
survey files), and reading records from one or more kiosk data directories.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from kiosk.cli.errors import EXIT_FAILED, fail
from kiosk.paths import SURVEYS_DIR

LANGUAGES = ("da", "en")


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--kiosk``, ``--from``, ``--to``, ``--partial/--no-partial``, ``--include-suspect``."""
    options = [
        click.option(
            "--kiosk",
            "kiosks",
            multiple=True,
            metavar="ID",
            help="Only records of this kiosk (repeat for several). Default: all.",
        ),
        click.option(
            "--from",
            "date_from",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            metavar="YYYY-MM-DD",
            help="Only visits on or after this day (Danish time).",
        ),
        click.option(
            "--to",
            "date_to",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            metavar="YYYY-MM-DD",
            help="Only visits on or before this day (Danish time).",
        ),
        click.option(
            "--partial/--no-partial",
            "include_partial",
            default=True,
            show_default=True,
            help="Count visits the visitor left part-way.",
        ),
        click.option(
            "--include-suspect",
            is_flag=True,
            help="Also count visits the kiosk flagged as suspect (left out and counted apart "
            "by default).",
        ),
        click.option(
            "--lang",
            type=click.Choice(LANGUAGES),
            default="da",
            show_default=True,
            help="Language of question texts and labels.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_filters(
    kiosks: Sequence[str],
    date_from: datetime | None,
    date_to: datetime | None,
    include_partial: bool,
    include_suspect: bool,
) -> Any:
    from kiosk.results import Filters

    if date_from and date_to and date_from > date_to:
        fail("--from is after --to: give the earlier day first", EXIT_FAILED)
    return Filters(
        kiosks=frozenset(kiosks),
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
        include_partial=include_partial,
        include_suspect=include_suspect,
    )


def load_definitions_or_warn(
    files: Iterable[Path],
    data_dirs: Iterable[Path] = (),
    kept: Iterable[tuple[str, Any]] = (),
) -> Any:
    """Survey definitions from the files given (or the bundled surveys/), those the kiosks
    kept in their data directories and ``kept`` (hash, survey) pairs (a collector's),
    warning on bad ones."""
    from kiosk.results.sources import load_definitions
    from kiosk.survey.archive import kept_definitions

    paths = list(files) or sorted(SURVEYS_DIR.glob("*.yaml"))
    definitions, problems = load_definitions(paths)
    for digest, survey in kept:
        definitions.add(survey, digest)
    for data_dir in data_dirs:
        found, unusable = kept_definitions(data_dir)
        for digest, survey in found:
            definitions.add(survey, digest)
        problems += unusable
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    return definitions


@dataclass
class Collected:
    records: list[dict[str, Any]]
    contacts: dict[str, dict[str, Any]] | None


def read_data_dirs(data_dirs: Sequence[Path], include_contact: bool = False) -> Collected:
    """The records of every data directory, each record once (a copy on two disks counts once)."""
    from kiosk.cli.data_commands import open_store_or_exit
    from kiosk.sanitize import clean_record

    seen: set[str] = set()
    records: list[dict[str, Any]] = []
    contacts: dict[str, dict[str, Any]] | None = {} if include_contact else None
    for data_dir in data_dirs:
        store = open_store_or_exit(data_dir)
        with store:
            for record in store.records():
                if record["id"] not in seen:
                    seen.add(record["id"])
                    records.append(clean_record(record))  # as the collector's are
            if contacts is not None:
                contacts.update(clean_record(store.contacts()))
    return Collected(records, contacts)


def read_collector_or_exit(db: str) -> Any:
    """The records and definitions of a collector database (read-only), or exit 2 saying why."""
    from kiosk.results.sources import NotACollectorDatabase, read_collector_db

    try:
        data = read_collector_db(db)
    except NotACollectorDatabase as exc:
        fail(f"cannot read the collector's database: {exc}", EXIT_FAILED)
    for problem in data.problems:
        click.echo(f"warning: {problem}", err=True)
    return data


def source_or_exit(
    data_dirs: Sequence[Path], db: str | None, survey_files: Iterable[Path]
) -> tuple[Collected, Any, list[str]]:
    """Records, definitions and the source names from ``--data DIR...`` or ``--db FILE``."""
    if bool(data_dirs) == (db is not None):
        fail(
            "give the kiosks' data directories (--data DIR, repeatable) or the collector's "
            "database (--db collector.db), one of the two",
            EXIT_FAILED,
        )
    if db is not None:
        data = read_collector_or_exit(db)
        definitions = load_definitions_or_warn(survey_files, kept=data.definitions)
        from kiosk.collector.database import describe

        return Collected(data.records, None), definitions, [f"collector {describe(db)}"]
    definitions = load_definitions_or_warn(survey_files, data_dirs)
    return read_data_dirs(data_dirs), definitions, [str(d) for d in data_dirs]


def write_xlsx_or_exit(
    out: Path | None,
    collected: Collected,
    definitions: Any,
    sources: Sequence[str],
    survey_id: str | None,
    filter_args: tuple[Any, ...],
    lang: str,
) -> None:
    """The workbook of ``kiosk export`` and ``kiosk collector export --format xlsx``."""
    from kiosk.i18n import Translator
    from kiosk.results import tally
    from kiosk.results.workbook import write_workbook

    if out is None or out.is_dir():
        fail("an Excel workbook needs a file name: --out results.xlsx", EXIT_FAILED)
    filters = make_filters(*filter_args)
    t = Translator(lang)
    yes_no = (t("question.yes"), t("question.no"))
    results = tally(collected.records, definitions, filters, lang, yes_no, survey_id)
    warn_missing(results)
    try:
        write_workbook(
            out,
            collected.records,
            results,
            definitions,
            t,
            contacts=collected.contacts,
            sources=sources,
        )
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}", EXIT_FAILED)
    visits = sum(s.visitors for s in results.surveys)
    ideas = sum(s.ideas for s in results.surveys)
    click.echo(f"Exported {visits} visits and {ideas} idea cards to {out}", err=True)


def warn_missing(results: Any) -> None:
    for survey in results.surveys:
        for version in survey.versions:
            if version.definition == "missing":
                click.echo(
                    f"warning: no definition of {survey.survey_id} version {version.version} "
                    f"(hash {version.hash[:12]}…): give its file with --survey-file; its "
                    "questions are shown by id.",
                    err=True,
                )


@click.command()
@click.option(
    "--data",
    "data_dirs",
    multiple=True,
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="A kiosk's data directory; repeat for several kiosks.",
)
@click.option(
    "--db",
    metavar="FILE|URL",
    help="Instead of --data: the collector's database (its SQLite file or a postgresql:// URL), "
    "with the merged records of every kiosk and the survey definitions they sent (read only).",
)
@click.option("--survey", "survey_id", metavar="ID", help="Only this survey.")
@filter_options
@click.option(
    "--survey-file",
    "survey_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Survey definitions (every version the data holds). Default: the bundled surveys/.",
)
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.html",
    help="The report file to write.",
)
def report(
    data_dirs: tuple[Path, ...],
    db: str | None,
    survey_id: str | None,
    kiosks: tuple[str, ...],
    date_from: datetime | None,
    date_to: datetime | None,
    include_partial: bool,
    include_suspect: bool,
    lang: str,
    survey_files: tuple[Path, ...],
    out: Path,
) -> None:
    """Write a self-contained HTML report: charts, counts, text answers and idea cards.

    The file needs no network to view; open it in a browser and print it on A4.
    The records come from kiosk data directories (--data) or the collector's
    database (--db), which also holds the survey definitions the kiosks sent.
    Completed and partial visits are counted; suspect ones are left out and
    counted apart unless --include-suspect is given.

    \b
    Examples:
        kiosk report --data /media/usb/kiosk-1 --data /media/usb/kiosk-2 -o rapport.html
        kiosk report --data merged/ --survey gentofte-moedes --lang en -o report.html
        kiosk report --db collector.db -o rapport.html
    """
    from kiosk.i18n import Translator
    from kiosk.results import tally
    from kiosk.results.report import write_report

    filters = make_filters(kiosks, date_from, date_to, include_partial, include_suspect)
    collected, definitions, sources = source_or_exit(data_dirs, db, survey_files)
    t = Translator(lang)
    results = tally(
        collected.records,
        definitions,
        filters,
        lang=lang,
        yes_no=(t("question.yes"), t("question.no")),
        survey_id=survey_id,
    )
    warn_missing(results)
    if survey_id is not None and not results.surveys:
        click.echo(f"warning: no records of survey {survey_id!r} match", err=True)
    try:
        write_report(out, results, t, sources=sources)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}", EXIT_FAILED)
    visits = sum(s.visitors for s in results.surveys)
    ideas = sum(s.ideas for s in results.surveys)
    click.echo(f"Wrote {out}: {visits} visits and {ideas} idea cards counted", err=True)
