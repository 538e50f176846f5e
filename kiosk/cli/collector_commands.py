"""``kiosk collector``: the central collector every kiosk syncs to (serve, export, migrate,
import), on a SQLite file or a PostgreSQL database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from kiosk.cli.errors import EXIT_FAILED, fail
from kiosk.cli.report_command import filter_options
from kiosk.cli.tokens import TOKEN_ENV, check_token, read_token_file
from kiosk.collector.admission import DEFAULT_MAX_CONCURRENT


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


def _public_url(url: str) -> str:
    """``--public-url`` checked: an http(s) address without a query, no trailing slash."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        fail(
            f"--public-url {url!r} is not a web address: give one such as "
            "https://kiosk.example.dk (http or https, no ?query)"
        )
    return url.strip().rstrip("/")


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


#: --db of every collector command: a SQLite file or a PostgreSQL URL, or $KIOSK_COLLECTOR_DB.
_DB_HELP = (
    "SQLite database file (created when missing), or a PostgreSQL database: "
    "postgresql://USER@HOST/DB (password in ~/.pgpass or $PGPASSWORD, not in the URL). "
    "Default: $KIOSK_COLLECTOR_DB."
)


def _db_option(help_text: str = _DB_HELP) -> Any:
    return click.option(
        "--db", envvar="KIOSK_COLLECTOR_DB", required=True, metavar="FILE|URL", help=help_text
    )


def _database_problem(db: str, exc: BaseException) -> str:
    """One line on why the collector database at ``db`` cannot be used."""
    from kiosk.collector.database import describe

    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"cannot use the database {describe(db)}: {first}"


def _database_errors() -> tuple[type[BaseException], ...]:
    """What opening or reading a collector database raises when it is not usable."""
    import sqlite3

    from kiosk.collector.database import CollectorBusy, DatabaseNewer

    errors: list[type[BaseException]] = [sqlite3.DatabaseError, CollectorBusy, DatabaseNewer]
    try:
        import psycopg

        errors.append(psycopg.Error)
    except ImportError:  # pragma: no cover - a dependency, but SQLite needs none of it
        pass
    return tuple(errors)


@collector.command()
@_db_option()
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
    default=DEFAULT_MAX_CONCURRENT,
    show_default=True,
    help="Submissions handled at once, per worker; half as many more wait their turn "
    "(503 with Retry-After above that).",
)
@click.option(
    "--public-url",
    metavar="URL",
    default=None,
    help="The address visitors' phones reach this collector at, e.g. "
    "https://kiosk.example.dk: follow-up links default to URL/f/{ref}, and https makes "
    "the sign-in cookie Secure.",
)
@click.option(
    "--idea-statuses",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML file with the organisers' own idea statuses ([[status]] id, da, en), "
    "instead of modtaget, under behandling, sendt videre, gennemført, ikke muligt.",
)
@click.option(
    "--quiet-after",
    type=click.IntRange(1, 24 * 60),
    default=10,
    show_default=True,
    metavar="MINUTES",
    help="The overview warns about a kiosk not heard from for this many minutes.",
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
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (PostgreSQL only; SQLite has one writer, so one worker).",
)
def serve(
    db: str,
    host: str,
    port: int,
    token_file: Path | None,
    max_body: int,
    max_concurrent: int,
    public_url: str | None,
    idea_statuses: Path | None,
    quiet_after: int,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    workers: int,
) -> None:
    """Receive records from kiosks over HTTP and store each exactly once (SQLite or PostgreSQL).

    The database schema is brought up to date first; a database written by a newer
    Borgerkiosk is refused.

    Kiosks send their shared token with every request: beyond this machine, serve
    https (--ssl-certfile/--ssl-keyfile, or a reverse proxy in front of 127.0.0.1).

    \b
    Examples:
        kiosk collector serve --db collector.db --token-file collector.token
        kiosk collector serve --db collector.db --host 0.0.0.0 --port 8443 \\
              --token-file collector.token \\
              --ssl-certfile cert.pem --ssl-keyfile key.pem
        kiosk collector serve --db postgresql://kiosk@db.example.dk/kiosk \\
              --workers 4 --token-file collector.token
    The API description is served at /docs and /openapi.json; organisers sign in at
    /signin (accounts: kiosk collector user add), visitors' follow-up pages are /f/{ref}.
    """
    from kiosk.collector.server import serve as run_server
    from kiosk.collector.server import sqlite_workers_problem

    problem = sqlite_workers_problem(db, workers)
    if problem:
        fail(problem)
    token = _collector_token(token_file)
    if public_url is not None:
        public_url = _public_url(public_url)
    statuses = None
    if idea_statuses is not None:
        from kiosk.collector.ideas import StatusFileError, load_statuses

        try:
            statuses = load_statuses(idea_statuses)
        except StatusFileError as exc:
            fail(str(exc))
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
            workers=workers,
            public_url=public_url,
            idea_statuses=statuses,
            quiet_after_s=quiet_after * 60.0,
        )
    except _database_errors() as exc:
        fail(_database_problem(db, exc), EXIT_FAILED)
    except SystemExit as exc:  # uvicorn exits when it cannot start, after logging why
        if exc.code not in (0, None):
            from kiosk.cli.listen import listen_problem

            problem = listen_problem(host, port) or "see the lines above"
            fail(f"the collector could not start on {host}:{port}: {problem}", EXIT_FAILED)
        raise
    except OSError as exc:
        from kiosk.cli.listen import listen_reason

        fail(f"cannot serve on {host}:{port}: {listen_reason(host, exc)}", EXIT_FAILED)


@collector.command(name="export")
@_db_option(
    "The collector's database, as given to collector serve: a SQLite file or a "
    "postgresql:// URL. Default: $KIOSK_COLLECTOR_DB."
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
    db: str,
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
    from kiosk.collector.database import is_postgres_url
    from kiosk.collector.storage import CollectorStorage
    from kiosk.export import export_csv, export_jsonl
    from kiosk.paths import SURVEYS_DIR
    from kiosk.sanitize import clean_record

    if not is_postgres_url(db) and not Path(db).is_file():
        fail(f"{db} does not exist: give the collector's database file (or a postgresql:// URL)")
    try:
        storage = CollectorStorage(db, readonly=True)  # export never writes, not even a version
        try:
            # visitor text and whatever a sender got stored: cleaned before any of it is written
            records = [clean_record(r) for r in storage.iter_records(survey_id)]
        finally:
            storage.close()
    except _database_errors() as exc:
        if is_postgres_url(db):
            fail(_database_problem(db, exc), EXIT_FAILED)
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


@collector.command()
@_db_option()
@click.option(
    "--check",
    is_flag=True,
    help="Only say which schema version the database has and what is missing; change nothing.",
)
def migrate(db: str, check: bool) -> None:
    """Bring the collector database's schema up to this Borgerkiosk's version.

    collector serve does the same at start; run this first when the database user the
    collector serves with may not create tables. A database written by a newer Borgerkiosk
    is refused, never changed.

    \b
    Examples:
        kiosk collector migrate --db postgresql://kiosk@db.example.dk/kiosk
        kiosk collector migrate --db collector.db --check
    """
    from kiosk.collector.database import DatabaseNewer, describe, newer_message, open_database
    from kiosk.collector.migrations import LATEST

    try:
        database = open_database(db, readonly=check)
        try:
            before = database.schema_version()
            if before > LATEST:
                raise DatabaseNewer(newer_message(before))
            if check:
                missing = LATEST - before
                click.echo(
                    f"{describe(db)}: schema version {before}; this collector knows {LATEST}"
                    + (f" ({missing} migration(s) to apply)" if missing else " (up to date)")
                )
                if missing:
                    raise SystemExit(1)
                return
            applied = database.migrate()
        finally:
            database.close()
    except _database_errors() as exc:
        fail(_database_problem(db, exc), EXIT_FAILED)
    if applied:
        click.echo(
            f"{describe(db)}: schema version {before} -> {applied[-1]} "
            f"(applied {', '.join(str(v) for v in applied)})"
        )
    else:
        click.echo(f"{describe(db)}: schema version {before}, up to date")


@collector.command(name="import")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An event's SQLite collector file (opened read-only, never changed).",
)
@_db_option(
    "The collector database to copy into: usually postgresql://USER@HOST/DB. "
    "Default: $KIOSK_COLLECTOR_DB."
)
def collector_import(source: Path, db: str) -> None:
    """Copy an event's SQLite collector into this collector database (usually PostgreSQL).

    Safe to run again: what is there already stays as it is and is counted as such. A
    record under an id the target holds with other content is a conflict: reported, and
    the target's record kept.

    \b
    Example:
        kiosk collector import --from festival-2026.db --db postgresql://kiosk@db.example.dk/kiosk
    """
    from kiosk.collector.database import describe
    from kiosk.collector.storage import CollectorStorage
    from kiosk.collector.transfer import import_sqlite

    if not is_postgres_url_or_other(db, source):
        fail(f"--from and --db are the same file ({source}): nothing to import")
    try:
        target = CollectorStorage(db)
        try:
            counts = import_sqlite(source, target)
        finally:
            target.close()
    except ValueError as exc:
        fail(str(exc), EXIT_FAILED)
    except _database_errors() as exc:
        fail(f"importing {source} into {describe(db)}: {exc}", EXIT_FAILED)
    for table, tally in counts.items():
        parts = ", ".join(
            f"{tally[k]} {k}" for k in ("imported", "already there", "conflict") if tally[k]
        )
        click.echo(f"{table}: {parts or 'none'}")
    if counts["records"]["conflict"]:
        click.echo(
            f"warning: {counts['records']['conflict']} record(s) of {source} have an id the "
            "target holds with other content; the target's records are kept",
            err=True,
        )


def is_postgres_url_or_other(db: str, source: Path) -> bool:
    """False when ``db`` names the very file ``source`` is."""
    from kiosk.collector.database import is_postgres_url

    if is_postgres_url(db):
        return True
    return not (Path(db).exists() and Path(db).resolve() == source.resolve())


@collector.group()
def user() -> None:
    """Accounts for the collector's web pages (organisers change, viewers only look).

    \b
    Examples:
        kiosk collector user add anna --role organiser --db collector.db
        kiosk collector user list --db collector.db
        kiosk collector user remove anna --db collector.db
    """


_DB_OPTION = _db_option(
    "The collector's database, as given to collector serve: a SQLite file or "
    "postgresql://USER@HOST/DB. Default: $KIOSK_COLLECTOR_DB."
)


def _open_storage(db: str, *, create: bool = False) -> Any:
    from kiosk.collector.database import is_postgres_url
    from kiosk.collector.storage import CollectorStorage

    if not create and not is_postgres_url(db) and not Path(db).exists():
        fail(f"{db}: no such collector database (give the file collector serve uses)")
    try:
        return CollectorStorage(db)
    except _database_errors() as exc:
        fail(_database_problem(db, exc), EXIT_FAILED)


@user.command(name="add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["organiser", "viewer"]),
    default="organiser",
    show_default=True,
    help="organiser: answers ideas and changes settings; viewer: sees, changes nothing.",
)
@_DB_OPTION
def user_add(name: str, role: str, db: str) -> None:
    """Add an account; its password is asked twice and never shown or logged."""
    from kiosk.collector.accounts import AccountError, add_account, name_problem, password_problem

    problem = name_problem(name)
    if problem:
        fail(problem)
    storage = _open_storage(db, create=True)
    try:
        password = click.prompt(
            f"Password for {name}", hide_input=True, confirmation_prompt=True, err=True
        )
        problem = password_problem(password)
        if problem:
            fail(f"{problem}; run the command again")
        add_account(storage, name, role, password)  # type: ignore[arg-type]
    except AccountError as exc:
        fail(str(exc))
    finally:
        storage.close()
    click.echo(f"added {role} {name}")


@user.command(name="list")
@_DB_OPTION
def user_list(db: str) -> None:
    """List the accounts: name, role, when made, and whether locked after failed sign-ins."""
    from kiosk.collector.accounts import list_accounts

    storage = _open_storage(db)
    try:
        accounts = list_accounts(storage)
    finally:
        storage.close()
    if not accounts:
        from kiosk.collector.database import describe

        hint = f"kiosk collector user add NAME --db {describe(db)}"
        click.echo(f"no accounts yet: add one with {hint}")
        return
    for account, created, locked in accounts:
        note = "  (locked after failed sign-ins)" if locked else ""
        click.echo(f"{account.name}\t{account.role}\t{created}{note}")


@user.command(name="remove")
@click.argument("name")
@_DB_OPTION
def user_remove(name: str, db: str) -> None:
    """Remove an account and sign it out everywhere (the ideas' history keeps its name)."""
    from kiosk.collector.accounts import remove_account

    storage = _open_storage(db)
    try:
        removed = remove_account(storage, name)
    finally:
        storage.close()
    if not removed:
        from kiosk.collector.database import describe

        fail(f"no account named {name!r} in {describe(db)} (see kiosk collector user list)")
    click.echo(f"removed {name}")
