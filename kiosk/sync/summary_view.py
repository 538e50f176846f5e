"""How a sync run is shown: the organiser's summary on screen and the JSON for scripts.

Kept apart from :mod:`kiosk.sync.summary` (what a run did, and its exit code) so the
counting stays free of rich and file output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kiosk.store import RecordStore, StoreError
from kiosk.sync.protocol import REJECTED_STATUSES
from kiosk.sync.runner import flagged
from kiosk.sync.summary import Rejection, SyncSummary, VerifyResult

#: Rejected records listed one by one before "... and N more".
LISTED = 50


def print_summary(
    out: Any,
    data_dir: Path,
    summary: SyncSummary,
    verify: bool,
    verify_results: list[VerifyResult],
    verify_error: str | None,
) -> None:
    out.print(f"Sync of {data_dir}:")
    out.print(f"  synced now:        {summary.synced}")
    out.print(f"  already there:     {summary.already_there}")
    out.print(f"  rejected:          {len(summary.rejected)}")
    out.print(f"  remaining:         {summary.remaining}")
    if summary.moved_from:
        out.print(
            f"  sent again:        {summary.resent} (synced before to another collector, "
            f"{summary.moved_from})",
            markup=False,
        )
    elif summary.resent:
        out.print(f"  sent again:        {summary.resent} (--resend)")
    if summary.definitions_sent:
        out.print(f"  survey definitions sent: {summary.definitions_sent}")
    for note in summary.definition_notes:
        out.print(f"  survey definition not sent: {note}", markup=False)
    _print_rejections(out, summary.rejected)
    if summary.rejected_before:
        out.print(f"  rejected earlier:  {len(summary.rejected_before)} (still flagged)")
        _print_rejections(out, summary.rejected_before)
    if summary.rejected or summary.rejected_before:
        out.print(
            "  Rejected records stay in the kiosk's data, flagged; nothing was deleted.",
            markup=False,
        )
    if summary.error:
        out.print(f"  stopped: {summary.error}", markup=False)
    for warning in summary.warnings:
        out.print(f"  warning from the collector: {warning}", markup=False)
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
                    f"synced: {result.advice}",
                    markup=False,
                )
    if summary.exit_code == 0 and not verify_error and all(v.match for v in verify_results):
        out.print("Everything is at the collector.")


def _print_rejections(out: Any, rejections: list[Rejection]) -> None:
    """Each rejected record with its reason, the first :data:`LISTED` of them."""
    for rejection in rejections[:LISTED]:
        out.print(f"    {rejection.id} {rejection.status}: {rejection.reason}", markup=False)
    if len(rejections) > LISTED:
        out.print(f"    ... and {len(rejections) - LISTED} more (see kiosk stats)")


def totals_of(store: RecordStore, summary: SyncSummary) -> dict[str, Any]:
    """The whole data directory's counts (not just this run's), for the after-event table.

    Also puts records flagged by earlier runs into ``summary.rejected_before``.
    """
    try:
        records = store.records()
    except StoreError:
        return {}
    this_run = {rejection.id for rejection in summary.rejected}
    summary.rejected_before = [r for r in flagged(store, records) if r.id not in this_run]
    return {
        "records": len(records),
        "synced": sum(1 for r in records if r.get("synced_at")),
        "rejected": sum(1 for r in records if r.get("sync_status") in REJECTED_STATUSES),
        "kiosk_ids": sorted({str(r.get("kiosk_id")) for r in records}),
    }


def write_summary_json(
    path: Path,
    data_dir: Path,
    summary: SyncSummary,
    totals: dict[str, Any],
    verify_results: list[VerifyResult],
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
        "resent": summary.resent,
        "moved_from": summary.moved_from,
        "definitions_sent": summary.definitions_sent,
        "definition_notes": summary.definition_notes,
        "warnings": summary.warnings,
        "error": summary.error,
        "exit_code": code,
        "verify_error": verify_error,
        "verify": [
            {
                "kiosk_id": v.kiosk_id,
                "local_count": v.local_count,
                "remote_count": v.remote_count,
                "match": v.match,
                "stores": v.stores,
                "advice": v.advice,
            }
            for v in verify_results
        ],
    }
    try:
        path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror}") from exc
