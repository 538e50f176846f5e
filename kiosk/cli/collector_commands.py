"""``kiosk collector``: the central collector every kiosk syncs to (serve, export)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from kiosk.cli.errors import EXIT_FAILED, fail
from kiosk.cli.report_command import filter_options
from kiosk.cli.tokens import TOKEN_ENV, check_token, read_token_file


@click.group()
def collector() -> None:
    """The central collector that every kiosk syncs to.

    \b
    Example:
        kiosk collector serve --db collector.db --token-file collector.token
    """


def plain_http_warning(host: str, *, tls: bool) -> str | None:
    """A warning when kiosks would send their token unencrypted to this collector."""
    from kiosk.sync.endpoint import is_loopback

    if tls or is_loopback(host):
        return None
    return (
        f"serving plain HTTP on {host}: kiosks' tokens would cross the network unencrypted, "
        "and kiosks refuse http:// beyond loopback without --insecure-http; give "
        "--ssl-certfile/--ssl-keyfile or put an https reverse proxy in front of 127.0.0.1 "
        "(docs/sync-protocol.md, TLS)"
    )


def _collector_token(token_file: Path | None) -> str:
    """The token kiosks must send; one a kiosk can send at all (see ``token_problem``)."""
    if token_file is not None:
        token = read_token_file(token_file)
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            fail(f"the collector needs a token: give --token-file FILE or set {TOKEN_ENV}")
    check_token(token)
    return token


@collector.command()
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="SQLite database file (created when missing).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on: 127.0.0.1 behind a reverse proxy, 0.0.0.0 for every "
    "network (then with --ssl-certfile).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="TCP port to listen on (0: any free port).",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"File holding the token kiosks must send (else ${TOKEN_ENV}).",
)
@click.option(
    "--max-body",
    type=click.IntRange(1024),
    default=8 * 1024 * 1024,
    show_default=True,
    help="Largest request body in bytes (413 above).",
)
@click.option(
    "--max-concurrent",
    type=click.IntRange(1, 1000),
    default=16,
    show_default=True,
    help="Submissions handled at once (503 with Retry-After above).",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="TLS certificate (PEM) to serve https directly; or put a reverse proxy in front "
    "(docs/sync-protocol.md, TLS).",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The certificate's private key (PEM), with --ssl-certfile.",
)
def serve(
    db: Path,
    host: str,
    port: int,
    token_file: Path | None,
    max_body: int,
    max_concurrent: int,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
) -> None:
    """Receive records from kiosks over HTTP and store each exactly once in SQLite.

    Kiosks send their shared token with every request: beyond this machine, serve
    https (--ssl-certfile/--ssl-keyfile, or a reverse proxy in front of 127.0.0.1).

    \b
    Examples:
        kiosk collector serve --db collector.db --token-file collector.token
        kiosk collector serve --db collector.db --host 0.0.0.0 --port 8443 \\
              --token-file collector.token \\
              --ssl-certfile cert.pem --ssl-keyfile key.pem
    The API description is served at /docs and /openapi.json.
    """
    import sqlite3

    from kiosk.collector.server import serve as run_server

    token = _collector_token(token_file)
    warning = plain_http_warning(host, tls=ssl_certfile is not None)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    try:
        run_server(
            db,
            token,
            host=host,
            port=port,
            max_body=max_body,
            max_concurrent=max_concurrent,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
        )
    except sqlite3.DatabaseError as exc:
        fail(f"cannot use the database {db}: {exc}", EXIT_FAILED)
    except SystemExit as exc:  # uvicorn exits when it cannot start, after saying why
        if exc.code not in (0, None):
            fail(
                f"the collector could not start on {host}:{port} (is the port in use?)", EXIT_FAILED
            )
        raise
    except OSError as exc:
        fail(f"cannot serve on {host}:{port} with {db}: {exc.strerror or exc}", EXIT_FAILED)


@collector.command(name="export")
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="The collector's SQLite database file (as given to collector serve).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "xlsx"]),
    default="jsonl",
    show_default=True,
    help="jsonl: the records as stored; csv: one file per survey, a column per question; "
    "xlsx: the Excel workbook of kiosk export --format xlsx, with the definitions the kiosks "
    "sent (docs/results.md).",
)
@click.option(
    "--out",
    "out_arg",
    metavar="FILE|DIR/",
    help="File to write, or a folder (DIR/, created if missing) for CSV: one file per "
    "survey. Default: stdout.",
)
@click.option("--survey", "survey_id", metavar="ID", help="Only records of this survey.")
@click.option(
    "--survey-file",
    "survey_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV: survey files whose question order the columns follow (repeat for several); "
    "xlsx: definitions besides those the kiosks sent. Default: the bundled surveys.",
)
@filter_options
def collector_export(
    db: Path,
    fmt: str,
    out_arg: str | None,
    survey_id: str | None,
    survey_files: tuple[Path, ...],
    kiosks: tuple[str, ...],
    date_from: Any,
    date_to: Any,
    include_partial: bool,
    include_suspect: bool,
    lang: str,
) -> None:
    """Export the merged records of all kiosks (JSONL, CSV one file per survey, or XLSX).

    The filters (--kiosk, --from, --to, --no-partial, --include-suspect, --lang)
    apply to the workbook. The database is only read.

    \b
    Examples:
        kiosk collector export --db collector.db --format jsonl --out all.jsonl
        kiosk collector export --db collector.db --format csv --out results/
        kiosk collector export --db collector.db --format xlsx --out resultater.xlsx
    """
    import sqlite3

    if fmt == "xlsx":
        from kiosk.cli.report_command import source_or_exit, write_xlsx_or_exit

        out_file = Path(out_arg) if out_arg else None
        if out_file is None or out_file.is_dir():
            fail("An Excel workbook needs a file name: --out results.xlsx", EXIT_FAILED)
        collected, definitions, sources = source_or_exit((), db, survey_files)
        filter_args = (kiosks, date_from, date_to, include_partial, include_suspect)
        write_xlsx_or_exit(out_file, collected, definitions, sources, survey_id, filter_args, lang)
        return

    from kiosk.cli.data_commands import survey_question_orders
    from kiosk.cli.output import OutputFile, out_folder, output_file, report_written
    from kiosk.collector.export import clean_record
    from kiosk.collector.storage import CollectorStorage
    from kiosk.export import export_csv, export_jsonl
    from kiosk.paths import SURVEYS_DIR

    try:
        storage = CollectorStorage(db)
        # visitor text and whatever a sender got stored: cleaned before any of it is written
        records = [clean_record(r) for r in storage.iter_records(survey_id)]
        storage.close()
    except sqlite3.DatabaseError as exc:
        fail(f"{db} is not a collector database ({exc})", EXIT_FAILED)
    out = Path(out_arg) if out_arg else None
    if fmt == "jsonl":
        with OutputFile(out) as stream:
            count = export_jsonl(records, stream)
        report_written(count, out)
        return
    folder = out_folder(out_arg)
    by_survey: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_survey.setdefault(str(record.get("survey_id")), []).append(record)
    if len(by_survey) > 1 and folder is None:
        names = ", ".join(sorted(by_survey))
        fail(
            f"the collector holds records of {len(by_survey)} surveys ({names}); CSV is one file "
            "per survey: give --survey ID, or a folder: --out DIR/ (created if missing).",
            EXIT_FAILED,
        )
    orders = survey_question_orders([*sorted(SURVEYS_DIR.glob("*.yaml")), *survey_files])
    taken: set[str] = set()
    for sid, rows in sorted(by_survey.items()):
        target = out
        if folder is not None:
            try:  # a file name from a safe slug of the id: never a path of the sender's
                target = output_file(folder, str(sid), taken)
            except ValueError as exc:
                fail(f"not writing survey {sid}: {exc}", EXIT_FAILED)
        with OutputFile(target) as stream:
            count = export_csv(rows, stream, orders.get(sid, ()))
        report_written(count, target)
    if not by_survey:
        report_written(0, out)
