"""``kiosk sync`` (send a kiosk's records after or during the event) and ``kiosk collector``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.options import data_option

if TYPE_CHECKING:
    from kiosk.config import SyncConfig

TOKEN_ENV = "KIOSK_TOKEN"

SYNC_EXIT_CODES = """\b
Exit codes:
  0  everything is at the collector, nothing rejected
  1  some records are rejected (conflict/invalid; listed, kept, flagged),
     in this run or an earlier one (the kiosk's background sync)
  2  some records remain unsent (network, collector busy or refusing,
     interrupted, or an unexpected error)
  3  the collector refused the token
  4  bad usage or configuration (endpoint, token file, config, certificate)
  5  --verify: the collector's records of this kiosk differ from the local ones
"""


def _fail(message: str, code: int = 4) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def read_sync_config(path: Path | None) -> SyncConfig:
    """The ``[sync]`` table of a kiosk config, read by the one parser ``kiosk run`` uses."""
    from kiosk.config import ConfigError, SyncConfig, load_config

    if path is None:
        return SyncConfig()
    try:
        return load_config(path).sync
    except ConfigError as exc:
        _fail(f"{exc}; fix the file or leave out --config")
    raise AssertionError  # unreachable


def read_token_file(path: Path) -> str:
    from kiosk.sync.protocol import read_token_file as read_token

    try:
        token = read_token(path)
    except OSError as exc:
        _fail(f"cannot read the token file {path}: {exc.strerror}")
    except UnicodeDecodeError:
        _fail(f"the token file {path} is not text")
    if not token:
        _fail(f"the token file {path} is empty")
    return token


def resolve_token(token_file: Path | None, config: SyncConfig) -> str:
    """--token-file, else $KIOSK_TOKEN, else the config's token / token_file. Never printed."""
    token = _find_token(token_file, config)
    _check_token(token)
    return token


def _check_token(token: str) -> None:
    """Exit 4 for a token HTTP cannot carry (the message never quotes it)."""
    from kiosk.sync.protocol import token_problem

    problem = token_problem(token)
    if problem:
        _fail(f"cannot use the token: {problem}")


def _find_token(token_file: Path | None, config: SyncConfig) -> str:
    if token_file is not None:
        return read_token_file(token_file)
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    if config.token and config.token.strip():
        return config.token.strip()
    if config.token_file is not None:  # already relative to the config file
        return read_token_file(config.token_file)
    _fail(f"no token: give --token-file FILE, set {TOKEN_ENV}, or [sync] token_file in the config")
    raise AssertionError  # unreachable


class _UsageExit4(click.Command):
    """Usage errors exit with 4 (click's default 2 means "records remain" here)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = 4
            raise


def open_store(data_dir: Path) -> Any:
    """The kiosk's store, or exit 4 with a clear message (never a traceback)."""
    from kiosk.store import RecordStore, StoreError

    if not (data_dir / "store").is_dir():
        _fail(f"no kiosk data in {data_dir}: give the kiosk's data directory with --data DIR")
    try:
        store = RecordStore(data_dir)
    except StoreError as exc:
        _fail(f"cannot open the store in {data_dir}: {exc}")
    except OSError as exc:
        _fail(f"cannot open the store in {data_dir}: {exc.strerror} ({exc.filename})")
    for problem in store.health().problems:
        click.echo(f"warning: {problem}", err=True)
    return store


#: ``kiosk sync``'s options for reaching the collector, shared with ``kiosk sync-after-event``,
#: which passes them on to each ``kiosk sync`` it runs.
CONNECTION_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "--endpoint", metavar="URL", help="The collector, e.g. https://collector.example.dk"
    ),
    click.option(
        "--token-file",
        type=click.Path(path_type=Path, dir_okay=False),
        help=f"File holding the token (else ${TOKEN_ENV}, else the config's [sync] token).",
    ),
    click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Kiosk config (TOML) whose [sync] table gives endpoint, token_file, ca_bundle.",
    ),
    click.option(
        "--batch-size",
        type=click.IntRange(1, 10000),
        default=500,
        show_default=True,
        help="Records a request (halved automatically when the collector says too large).",
    ),
    click.option(
        "--ca-bundle",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="CA certificates to trust (a municipal CA). Certificates are always verified.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(0.1, 600),
        default=30.0,
        show_default=True,
        help="Seconds to wait for each answer, from the request to its last byte "
        "(plus up to 5 s to connect).",
    ),
    click.option(
        "--attempts",
        type=click.IntRange(1, 100),
        default=5,
        show_default=True,
        help="Tries per request before giving up (with growing pauses).",
    ),
    click.option(
        "--retry-delay",
        type=click.FloatRange(0.0, 60),
        default=0.5,
        show_default=True,
        help="First pause between tries, in seconds; it doubles each time.",
    ),
    click.option(
        "--insecure-http",
        is_flag=True,
        help="Allow http:// to a collector on another machine: the token then travels "
        "unencrypted, so only on a network you trust (docs/sync-protocol.md, TLS).",
    ),
    click.option("-v", "--verbose", is_flag=True, help="Show each retry and why (on stderr)."),
]


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Apply :data:`CONNECTION_OPTIONS` to a command, in their order in --help."""
    for option in reversed(CONNECTION_OPTIONS):
        func = option(func)
    return func


@click.command(cls=_UsageExit4, epilog=SYNC_EXIT_CODES)
@data_option
@connection_options
@click.option("--verify", is_flag=True, help="Afterwards compare the collector's digest.")
@click.option(
    "--summary-json",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the summary as JSON to this file (for scripts).",
)
def sync(
    data_dir: Path,
    endpoint: str | None,
    token_file: Path | None,
    config_path: Path | None,
    batch_size: int,
    verify: bool,
    ca_bundle: Path | None,
    timeout: float,
    attempts: int,
    retry_delay: float,
    insecure_http: bool,
    verbose: bool,
    summary_json: Path | None,
) -> None:
    """Send every record not yet at the collector, then show what happened.

    Records are marked synced only when the collector confirms it stored them;
    running it twice sends nothing the second time. Safe while the kiosk app
    runs on the same data directory. Contact details are never sent.

    \b
    Example:
        kiosk sync --data /media/usb/kiosk-1 --endpoint https://collector.example.dk \\
                   --token-file ~/collector.token --verify
    """
    from rich.console import Console

    from kiosk.sync.client import AuthError, RetryPolicy, SyncClient, SyncError
    from kiosk.sync.endpoint import endpoint_problem, is_plain_http_beyond_loopback
    from kiosk.sync.runner import verify as verify_digest

    _setup_logging(verbose)
    config = read_sync_config(config_path)
    endpoint = endpoint or os.environ.get("KIOSK_ENDPOINT") or config.endpoint
    if not endpoint:
        _fail("no collector endpoint: give --endpoint URL (or [sync] endpoint in --config)")
    insecure_http = insecure_http or config.insecure_http
    endpoint_refused = endpoint_problem(endpoint, allow_plain_http=insecure_http)
    if endpoint_refused:
        _fail(endpoint_refused)
    if is_plain_http_beyond_loopback(endpoint):
        click.echo(
            "warning: sending the token unencrypted over http:// (--insecure-http)", err=True
        )
    token = resolve_token(token_file, config)
    if ca_bundle is None and config.ca_bundle is not None:
        ca_bundle = config.ca_bundle  # already relative to the config file
        if not ca_bundle.is_file():
            _fail(f"the config's [sync] ca_bundle {ca_bundle} does not exist")

    out = Console(width=None if sys.stdout.isatty() else 120)
    err = Console(stderr=True)
    store = open_store(data_dir)
    client = SyncClient(
        endpoint,
        token,
        ca_bundle=str(ca_bundle) if ca_bundle else None,
        read_timeout=timeout,
        allow_plain_http=insecure_http,
        retry=RetryPolicy(max_attempts=attempts, base_delay=retry_delay),
    )
    verify_results = []
    verify_error: str | None = None
    verify_auth_failed = False
    try:
        with store, client:
            summary = _run_with_progress(store, client, batch_size, err)
            if verify and summary.error_kind not in ("auth", "config"):
                try:
                    verify_results = verify_digest(store, client)
                except AuthError as exc:
                    verify_error, verify_auth_failed = str(exc), True
                except SyncError as exc:
                    verify_error = str(exc)
            totals = _totals(store, summary)
    except KeyboardInterrupt:  # the organiser pressed Ctrl-C: nothing unconfirmed is marked
        _fail(
            "interrupted; records the collector has not confirmed stay pending, "
            "run kiosk sync again",
            2,
        )
    except Exception as exc:  # a bug or an odd environment: say so, never a traceback
        from kiosk.sync.client import redact

        _fail(
            "sync stopped by an unexpected error: "
            + redact(f"{type(exc).__name__}: {exc}", token)[:300]
            + "; records not confirmed by the collector stay pending, run kiosk sync again",
            2,
        )
    _print_summary(out, data_dir, summary, verify, verify_results, verify_error)
    code = summary.exit_code
    mismatch = verify and (verify_error is not None or any(not v.match for v in verify_results))
    if code == 0 and verify_auth_failed:
        code = 3
    elif code == 0 and mismatch:
        code = 5
    if summary_json is not None:
        _write_summary_json(
            summary_json, data_dir, summary, totals, verify_results, verify_error, code
        )
    sys.exit(code)


def _setup_logging(verbose: bool) -> None:
    """Waits and retries on stderr (all details with --verbose), then the summary speaks."""
    import logging

    logger = logging.getLogger("kiosk.sync")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def _run_with_progress(store: Any, client: Any, batch_size: int, console: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from kiosk.sync.runner import sync_store

    with Progress(
        TextColumn("Sending"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("sync", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return sync_store(store, client, batch_size=batch_size, progress=step)


def _print_summary(
    out: Any,
    data_dir: Path,
    summary: Any,
    verify: bool,
    verify_results: list[Any],
    verify_error: str | None,
) -> None:
    out.print(f"Sync of {data_dir}:")
    out.print(f"  synced now:        {summary.synced}")
    out.print(f"  already there:     {summary.already_there}")
    out.print(f"  rejected:          {len(summary.rejected)}")
    out.print(f"  remaining:         {summary.remaining}")
    for rejection in summary.rejected[:50]:
        out.print(f"    {rejection.id} {rejection.status}: {rejection.reason}", markup=False)
    if len(summary.rejected) > 50:
        out.print(f"    ... and {len(summary.rejected) - 50} more (see kiosk stats)")
    if summary.rejected_before:
        out.print(f"  rejected earlier:  {len(summary.rejected_before)} (still flagged)")
        for rejection in summary.rejected_before[:50]:
            out.print(f"    {rejection.id} {rejection.status}: {rejection.reason}", markup=False)
        if len(summary.rejected_before) > 50:
            out.print(f"    ... and {len(summary.rejected_before) - 50} more (see kiosk stats)")
    if summary.rejected or summary.rejected_before:
        out.print(
            "  Rejected records stay in the kiosk's data, flagged; nothing was deleted.",
            markup=False,
        )
    if summary.error:
        out.print(f"  stopped: {summary.error}", markup=False)
    if verify:
        if verify_error:
            out.print(f"  verify: could not ask the collector: {verify_error}", markup=False)
        for result in verify_results:
            if result.match:
                out.print(
                    f"  verify {result.kiosk_id}: MATCH, the collector holds the same "
                    f"{result.remote_count} records as this kiosk marked synced",
                    markup=False,
                )
            else:
                out.print(
                    f"  verify {result.kiosk_id}: MISMATCH, the collector holds "
                    f"{result.remote_count} records, this kiosk marked {result.local_count} "
                    "synced (run kiosk sync again; if it stays, compare the exports)",
                    markup=False,
                )
    if summary.exit_code == 0 and not verify_error and all(v.match for v in verify_results):
        out.print("Everything is at the collector.")


def _totals(store: Any, summary: Any) -> dict[str, Any]:
    """The whole data directory's counts (not just this run's), for the after-event table.

    Also puts records flagged by earlier runs into ``summary.rejected_before``.
    """
    from kiosk.store import StoreError
    from kiosk.sync.runner import flagged

    try:
        records = store.records()
    except StoreError:
        return {}
    this_run = {rejection.id for rejection in summary.rejected}
    summary.rejected_before = [r for r in flagged(store, records) if r.id not in this_run]
    return {
        "records": len(records),
        "synced": sum(1 for r in records if r.get("synced_at")),
        "rejected": sum(1 for r in records if r.get("sync_status") in ("conflict", "invalid")),
        "kiosk_ids": sorted({str(r.get("kiosk_id")) for r in records}),
    }


def _write_summary_json(
    path: Path,
    data_dir: Path,
    summary: Any,
    totals: dict[str, Any],
    verify_results: list[Any],
    verify_error: str | None,
    code: int,
) -> None:
    payload = {
        "data_dir": str(data_dir),
        "totals": totals,
        "synced": summary.synced,
        "already_there": summary.already_there,
        "rejected": [
            {"id": r.id, "status": r.status, "reason": r.reason} for r in summary.rejected
        ],
        "rejected_before": [
            {"id": r.id, "status": r.status, "reason": r.reason} for r in summary.rejected_before
        ],
        "remaining": summary.remaining,
        "error": summary.error,
        "exit_code": code,
        "verify_error": verify_error,
        "verify": [
            {
                "kiosk_id": v.kiosk_id,
                "local_count": v.local_count,
                "remote_count": v.remote_count,
                "match": v.match,
            }
            for v in verify_results
        ],
    }
    try:
        path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    except OSError as exc:
        click.echo(f"warning: cannot write {path}: {exc.strerror}", err=True)


# --- the collector --------------------------------------------------------------------------


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
            _fail(f"the collector needs a token: give --token-file FILE or set {TOKEN_ENV}")
    _check_token(token)
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
        _fail(f"cannot use the database {db}: {exc}", 2)
    except SystemExit as exc:  # uvicorn exits when it cannot start, after saying why
        if exc.code not in (0, None):
            _fail(f"the collector could not start on {host}:{port} (is the port in use?)", 2)
        raise
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port} with {db}: {exc.strerror or exc}", 2)


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
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
    help="jsonl: the records as stored; csv: one file per survey, a column per question.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="File to write (a directory for CSV of several surveys). Default: stdout.",
)
@click.option("--survey", "survey_id", metavar="ID", help="Only records of this survey.")
def collector_export(db: Path, fmt: str, out: Path | None, survey_id: str | None) -> None:
    """Export the merged records of all kiosks (JSONL, or CSV one file per survey).

    \b
    Examples:
        kiosk collector export --db collector.db --format jsonl --out all.jsonl
        kiosk collector export --db collector.db --format csv --out results/
    """
    import sqlite3

    from kiosk.cli.data_commands import _done, _output, survey_question_orders
    from kiosk.collector.export import clean_record, output_file
    from kiosk.collector.storage import CollectorStorage
    from kiosk.export import export_csv, export_jsonl
    from kiosk.paths import SURVEYS_DIR

    try:
        storage = CollectorStorage(db)
        # visitor text and whatever a sender got stored: cleaned before any of it is written
        records = [clean_record(r) for r in storage.iter_records(survey_id)]
        storage.close()
    except sqlite3.DatabaseError as exc:
        _fail(f"{db} is not a collector database ({exc})", 2)
    if fmt == "jsonl":
        with _output(out) as stream:
            count = export_jsonl(records, stream)
        _done(count, out)
        return
    by_survey: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_survey.setdefault(str(record.get("survey_id")), []).append(record)
    if len(by_survey) > 1 and (out is None or not out.is_dir()):
        names = ", ".join(sorted(by_survey))
        _fail(
            f"the collector holds records of {len(by_survey)} surveys ({names}); CSV is one file "
            "per survey: give --survey ID, or --out DIR with an existing directory.",
            2,
        )
    orders = survey_question_orders(sorted(SURVEYS_DIR.glob("*.yaml")))
    taken: set[str] = set()
    for sid, rows in sorted(by_survey.items()):
        target = out
        if out is not None and out.is_dir():
            try:  # a file name from a safe slug of the id: never a path of the sender's
                target = output_file(out, str(sid), taken)
            except ValueError as exc:
                _fail(f"not writing survey {sid}: {exc}", 2)
        with _output(target) as stream:
            count = export_csv(rows, stream, orders.get(sid, ()))
        _done(count, target)
    if not by_survey:
        _done(0, out)
