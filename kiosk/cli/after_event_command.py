"""``kiosk sync-after-event``: close an event by syncing and verifying every kiosk's data.

Each directory gets its own ``kiosk sync --verify`` in a child process (its output shows as
it goes, and one kiosk's crash or bad disk cannot stop the others); then one table says,
per kiosk, what is at the collector and whether the digests match.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from kiosk.cli.sync_commands import CONNECTION_OPTIONS, SYNC_EXIT_CODES, connection_options


@click.command(epilog=SYNC_EXIT_CODES)
@click.argument(
    "data_dirs",
    metavar="DIR...",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
)
@connection_options
def sync_after_event(data_dirs: tuple[Path, ...], **options: Any) -> None:
    """Sync and verify every kiosk data directory given, then show one table.

    Each DIR is a kiosk's data directory (the kiosk's disk, or a copy on a USB
    stick). The options are those of `kiosk sync`, used for every DIR. The exit
    code is 0 when every directory is fully synced, nothing is rejected and
    every digest matches; otherwise the highest exit code of the runs.

    \b
    Example:
        kiosk sync-after-event --endpoint https://collector.example.dk \\
              --token-file collector.token /media/usb/kiosk-1 /media/usb/kiosk-2
    """
    from rich.console import Console

    console = Console()
    passed_on = _as_arguments(options)
    rows: list[tuple[Path, int, dict[str, Any] | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, data_dir in enumerate(data_dirs):
            console.rule(str(data_dir))
            summary_path = Path(tmp) / f"summary-{n}.json"
            run = subprocess.run(
                [sys.executable, "-m", "kiosk", "sync", "--data", str(data_dir), "--verify",
                 "--summary-json", str(summary_path), *passed_on],
                check=False,
            )  # fmt: skip
            summary = _read_summary(summary_path)
            rows.append((data_dir, run.returncode, summary))
    console.print(_table(rows))
    worst = max(code for _, code, _ in rows)
    if worst == 0:
        console.print("[green]Every kiosk's records are at the collector and verified.")
    else:
        console.print("[red]Not everything is done: see the messages above, fix, and run again.")
    sys.exit(worst)


def _as_arguments(options: dict[str, Any]) -> list[str]:
    """The command-line spelling of the connection options given, for each ``kiosk sync``."""
    arguments: list[str] = []
    for decorator in CONNECTION_OPTIONS:
        option = _option_of(decorator)
        value = options.get(option.name or "")
        flag = option.opts[-1]
        if option.is_flag:
            if value:
                arguments.append(flag)
        elif value is not None and value != option.default:
            arguments += [flag, str(value)]
    return arguments


def _option_of(decorator: Any) -> click.Option:
    """The click.Option a ``click.option(...)`` decorator would add."""

    def probe() -> None:
        pass

    decorator(probe)
    return probe.__click_params__[-1]  # type: ignore[attr-defined]


def _read_summary(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _table(rows: list[tuple[Path, int, dict[str, Any] | None]]) -> Any:
    from rich.table import Table

    table = Table(title="Borgerkiosk: after the event")
    for column in ("kiosk", "data", "records", "synced", "rejected", "remaining", "digest match"):
        table.add_column(column, justify="right" if column not in ("kiosk", "data") else "left")
    for data_dir, code, summary in rows:
        if summary is None:
            table.add_row("?", str(data_dir), "-", "-", "-", "-", f"[red]failed (exit {code})")
            continue
        totals = summary.get("totals") or {}
        table.add_row(
            ", ".join(totals.get("kiosk_ids", [])) or "?",
            str(data_dir),
            str(totals.get("records", "-")),
            str(totals.get("synced", "-")),
            str(totals.get("rejected", "-")),
            str(summary.get("remaining", "-")),
            _digest_match(summary, totals),
        )
    return table


def _digest_match(summary: dict[str, Any], totals: dict[str, Any]) -> str:
    verify = summary.get("verify") or []
    if not verify and not summary.get("verify_error") and not totals.get("records"):
        return "no records"
    if summary.get("verify_error") or not verify:
        return "[red]not checked"
    return "[green]yes" if all(v["match"] for v in verify) else "[red]NO"
