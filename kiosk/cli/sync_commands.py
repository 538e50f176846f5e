"""``kiosk sync`` (send a kiosk's records after or during the event) and ``kiosk collector``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli.errors import fail
from kiosk.cli.options import data_option
from kiosk.cli.tokens import TOKEN_ENV, read_sync_config, resolve_token
from kiosk.sync.summary import EXIT_AUTH, EXIT_OK, EXIT_REMAINING, EXIT_USAGE, EXIT_VERIFY

if TYPE_CHECKING:
    pass

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


class _UsageExit4(click.Command):
    """Usage errors exit with 4 (click's default 2 means "records remain" here)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = EXIT_USAGE
            raise


def open_store(data_dir: Path) -> Any:
    """The kiosk's store, or exit 4 with a clear message (never a traceback)."""
    from kiosk.store import RecordStore, StoreError

    if not (data_dir / "store").is_dir():
        fail(f"no kiosk data in {data_dir}: give the kiosk's data directory with --data DIR")
    try:
        store = RecordStore(data_dir)
    except StoreError as exc:
        fail(f"cannot open the store in {data_dir}: {exc}")
    except OSError as exc:
        fail(f"cannot open the store in {data_dir}: {exc.strerror} ({exc.filename})")
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
    "--resend",
    is_flag=True,
    help="Also send records marked synced: for a data directory synced to another "
    "collector before (safe: the collector keeps each record once).",
)
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
    resend: bool,
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
    from kiosk.sync.summary_view import print_summary, totals_of, write_summary_json

    _setup_logging(verbose)
    config = read_sync_config(config_path)
    endpoint = endpoint or os.environ.get("KIOSK_ENDPOINT") or config.endpoint
    if not endpoint:
        fail("no collector endpoint: give --endpoint URL (or [sync] endpoint in --config)")
    insecure_http = insecure_http or config.insecure_http
    endpoint_refused = endpoint_problem(endpoint, allow_plain_http=insecure_http)
    if endpoint_refused:
        fail(endpoint_refused)
    if is_plain_http_beyond_loopback(endpoint):
        click.echo(
            "warning: sending the token unencrypted over http:// (--insecure-http)", err=True
        )
    token = resolve_token(token_file, config)
    if ca_bundle is None and config.ca_bundle is not None:
        ca_bundle = config.ca_bundle  # already relative to the config file
        if not ca_bundle.is_file():
            fail(f"the config's [sync] ca_bundle {ca_bundle} does not exist")

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
            summary = _run_with_progress(store, client, batch_size, err, resend)
            if summary.error_kind not in ("auth", "config", "network"):
                _send_status(store, client, summary.error, token)
            if verify and summary.error_kind not in ("auth", "config"):
                try:
                    verify_results = verify_digest(store, client)
                except AuthError as exc:
                    verify_error, verify_auth_failed = str(exc), True
                except SyncError as exc:
                    verify_error = str(exc)
            totals = totals_of(store, summary)
    except KeyboardInterrupt:  # the organiser pressed Ctrl-C: nothing unconfirmed is marked
        fail(
            "interrupted; records the collector has not confirmed stay pending, "
            "run kiosk sync again",
            EXIT_REMAINING,
        )
    except Exception as exc:  # a bug or an odd environment: say so, never a traceback
        from kiosk.sync.client import redact

        fail(
            "sync stopped by an unexpected error: "
            + redact(f"{type(exc).__name__}: {exc}", token)[:300]
            + "; records not confirmed by the collector stay pending, run kiosk sync again",
            EXIT_REMAINING,
        )
    print_summary(out, data_dir, summary, verify, verify_results, verify_error)
    code = summary.exit_code
    mismatch = verify and (verify_error is not None or any(not v.match for v in verify_results))
    if code == EXIT_OK and verify_auth_failed:
        code = EXIT_AUTH
    elif code == EXIT_OK and mismatch:
        code = EXIT_VERIFY
    if summary_json is not None:
        try:
            write_summary_json(
                summary_json, data_dir, summary, totals, verify_results, verify_error, code
            )
        except OSError as exc:
            click.echo(f"warning: {exc}", err=True)
    sys.exit(code)


def _send_status(store: Any, client: Any, error: str | None, token: str) -> None:
    """Tell the collector how this data directory is doing (best effort, never fails the run:
    an older collector without status messages answers 404, which is no error)."""
    from kiosk.records import now_iso
    from kiosk.store import StoreError
    from kiosk.sync.client import redact
    from kiosk.sync.status import build_status, kiosk_id_of

    try:
        kiosk_id = kiosk_id_of(store)
        if kiosk_id is None:
            return
        status = build_status(
            store,
            kiosk_id,
            last_error=redact(error, token) if error else None,
            last_error_at=now_iso() if error else None,
            last_success_at=None if error else now_iso(),
        )
    except StoreError:  # the summary already says what is wrong with the store
        return
    client.send_status(status)


def _setup_logging(verbose: bool) -> None:
    """Waits and retries on stderr (all details with --verbose), then the summary speaks."""
    import logging

    logger = logging.getLogger("kiosk.sync")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def _run_with_progress(
    store: Any, client: Any, batch_size: int, console: Any, resend: bool = False
) -> Any:
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

        return sync_store(store, client, batch_size=batch_size, progress=step, resend=resend)
