"""One sync run: send every pending record of a store, batch by batch, and mark the results.

Used by ``kiosk sync`` and by the kiosk's background sync alike. Safe to run
while another process (the kiosk app, another ``kiosk sync``) works on the
same data directory: a record sent twice is a ``duplicate`` at the collector,
and marking it synced twice changes nothing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.records import public_view
from kiosk.store import RecordStore, StoreError
from kiosk.sync.client import (
    AuthError,
    PayloadTooLarge,
    RefusedError,
    SyncClient,
    SyncError,
    SyncSetupError,
    TransientError,
)
from kiosk.sync.protocol import REJECTED_STATUSES, STORED_STATUSES, RecordResult, ids_digest
from kiosk.sync.summary import Rejection, SyncSummary, VerifyResult
from kiosk.sync.synced_to import read_synced_to, write_synced_to

log = logging.getLogger("kiosk.sync")

DEFAULT_BATCH_SIZE = 500
_HASH = re.compile(r"[0-9a-f]{64}\Z")

Progress = Callable[[int, int], None]  # (records done this run, records pending at start)


def sync_store(
    store: RecordStore,
    client: SyncClient,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    max_batches: int | None = None,
    resend: bool = False,
) -> SyncSummary:
    """Send every record not yet synced; never raises for network, auth or store trouble.

    With ``resend``, records already marked synced are sent again first: for a data
    directory synced to another collector before (the collector keeps each record once).
    That happens by itself when the last completed run went to another address
    (:mod:`kiosk.sync.synced_to`): synced state belongs to one collector.
    """
    summary = SyncSummary()
    skipped: set[str] = set()
    size = max(1, batch_size)
    done = 0
    store_id = store.store_id
    before = read_synced_to(store.data_dir)
    if before is not None and before != client.endpoint:
        summary.moved_from = before
    try:
        if resend or summary.moved_from:
            _resend(store, client, summary, size, store_id)
        total = store.pending_count()
        while max_batches is None or summary.batches < max_batches:
            batch = [r for r in store.pending(limit=size + len(skipped)) if r["id"] not in skipped][
                :size
            ]
            if not batch:
                break
            kiosk_id = batch[0].get("kiosk_id")
            batch = [r for r in batch if r.get("kiosk_id") == kiosk_id]
            send_definitions(store, client, batch, summary)
            try:
                results = client.submit(
                    str(kiosk_id), [public_view(r) for r in batch], store_id=store_id
                )
            except PayloadTooLarge:
                if len(batch) > 1:
                    size = max(1, len(batch) // 2)
                    log.info("collector refused the batch as too large; now %d a batch", size)
                    continue
                skipped.add(batch[0]["id"])
                summary.skipped.append(batch[0]["id"])
                log.warning("one record is larger than the collector's body limit; skipped")
                continue
            summary.batches += 1
            _mark(store, results, summary)
            done += len(results)
            if progress is not None:
                progress(done, max(total, done))
    except AuthError as exc:
        _stop(summary, "auth", exc)
    except SyncSetupError as exc:
        _stop(summary, "config", exc)
    except TransientError as exc:
        _stop(summary, "network", exc)
    except RefusedError as exc:
        _stop(summary, "refused", exc)
    except SyncError as exc:
        _stop(summary, "network", exc)
    except StoreError as exc:
        _stop(summary, "store", exc)
    summary.warnings = list(client.warnings)
    try:
        summary.remaining = store.pending_count()
    except StoreError as exc:
        if summary.error is None:
            _stop(summary, "store", exc)
    if summary.error is None:
        try:  # records marked synced are now at this collector
            write_synced_to(store.data_dir, client.endpoint)
        except OSError as exc:
            log.warning("cannot note the collector's address in %s: %s", store.data_dir, exc)
    if summary.skipped and summary.error is None:
        summary.error = (
            f"{len(summary.skipped)} record(s) are each larger than the collector's body limit; "
            "raise --max-body on the collector and sync again"
        )
        summary.error_kind = "refused"
    return summary


def send_definitions(
    store: RecordStore,
    client: SyncClient,
    records: list[dict[str, Any]],
    summary: SyncSummary,
) -> None:
    """Before ``records`` go, send the survey definitions of their hashes that this client
    has not settled yet, from ``DATA/surveys/<hash>.json`` (docs/sync-protocol.md).

    Never stops the records: an older collector (404/405), a refusal (409, 422, 413),
    answers that are not a collector's (a proxy) or a hash kept nowhere in the data
    directory are noted in the summary. A refused token raises as for records.
    """
    uploads = client.definitions
    if uploads.unsupported:
        return
    hashes = sorted({str(r.get("survey_hash")) for r in records} - uploads.settled)
    for digest in hashes:
        example = next(r for r in records if str(r.get("survey_hash")) == digest)
        name = f"{example.get('survey_id')} version {example.get('survey_version')}"
        definition, problem = _kept_definition(store.data_dir, digest)
        if definition is None:
            uploads.settled.add(digest)
            summary.definition_notes.append(f"survey {name} (hash {digest[:12]}): {problem}")
            continue
        try:
            outcome = client.put_definition(digest, definition)
        except TransientError as exc:
            # not a collector's answer, past every retry: a proxy that forwards only the
            # record route, or the network is down (then the records will say so); tried
            # again next run, and the records go all the same
            summary.definition_notes.append(f"survey {name} (hash {digest[:12]}): {exc}")
            continue
        except PayloadTooLarge:
            outcome = "larger than the collector's body limit; not sent"
        except RefusedError as exc:
            if exc.status in (404, 405):
                uploads.unsupported = True
                summary.definition_notes.append(OLD_COLLECTOR_NOTE)
                log.warning("the collector takes no survey definitions (an older version)")
                return
            outcome = (
                "the collector keeps another definition under this hash; not replaced"
                if exc.status == 409
                else str(exc)
            )
        uploads.settled.add(digest)
        if outcome in ("accepted", "duplicate"):
            summary.definitions_sent += outcome == "accepted"
        else:
            summary.definition_notes.append(f"survey {name} (hash {digest[:12]}): {outcome}")


#: Said once a run when the collector has no definitions route.
OLD_COLLECTOR_NOTE = (
    "the collector takes no survey definitions (an older version): the records are synced "
    "all the same; a report from the collector's database needs the survey files "
    "(--survey-file) or a newer collector"
)


def _kept_definition(data_dir: Path, digest: str) -> tuple[dict[str, Any] | None, str]:
    """The definition kept as ``DATA/surveys/<digest>.json``, or None and why not."""
    from kiosk.survey.archive import FOLDER
    from kiosk.survey.loader import definition_hash

    if not _HASH.match(digest):
        return None, "not a survey hash; no definition sent"
    path = data_dir / FOLDER / f"{digest}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, (
            f"no kept definition in {path.parent} (records from before kiosks kept them); "
            "a report from the collector needs its survey file"
        )
    except (OSError, ValueError, RecursionError) as exc:
        return None, f"{path} cannot be read ({type(exc).__name__}); no definition sent"
    try:
        matches = isinstance(data, dict) and definition_hash(data) == digest
    except (UnicodeError, ValueError):
        matches = False
    if not matches:
        return None, f"{path} does not hold the definition of this hash; not sent"
    return data, ""


def _mark(store: RecordStore, results: list[RecordResult], summary: SyncSummary) -> None:
    """Mark what the collector holds as synced, flag what it refused, and count both."""
    store.mark_synced([res.id for res in results if res.status in STORED_STATUSES])
    for res in results:
        if res.status == "accepted":
            summary.synced += 1
        elif res.status == "duplicate":
            summary.already_there += 1
        else:
            reason = res.error or res.status
            store.mark_rejected(res.id, res.status, reason)
            summary.rejected.append(Rejection(res.id, res.status, reason))


def _resend(
    store: RecordStore,
    client: SyncClient,
    summary: SyncSummary,
    size: int,
    store_id: str | None,
) -> None:
    """Send every record marked synced again, a kiosk id and ``size`` records a batch."""
    by_kiosk: dict[str, list[dict[str, Any]]] = {}
    for record in store.records():
        if record.get("synced_at"):
            by_kiosk.setdefault(str(record.get("kiosk_id")), []).append(record)
    for kiosk_id, records in by_kiosk.items():
        queue = [records[i : i + size] for i in range(0, len(records), size)]
        while queue:
            batch = queue.pop(0)
            send_definitions(store, client, batch, summary)
            try:
                results = client.submit(kiosk_id, [public_view(r) for r in batch], store_id)
            except PayloadTooLarge:
                if len(batch) == 1:
                    summary.skipped.append(batch[0]["id"])
                    continue
                half = len(batch) // 2
                queue[:0] = [batch[:half], batch[half:]]
                continue
            summary.batches += 1
            summary.resent += len(results)
            _mark(store, results, summary)


def verify(store: RecordStore, client: SyncClient) -> list[VerifyResult]:
    """Compare the collector's digest of each kiosk in the store with the records it holds.

    The local side counts records marked synced and those flagged ``conflict``
    (their id is stored centrally, with other content).
    """
    local: dict[str, list[str]] = {}
    for record in store.records():
        kiosk_id = str(record.get("kiosk_id"))
        ids = local.setdefault(kiosk_id, [])
        if record.get("synced_at") or record.get("sync_status") == "conflict":
            ids.append(record["id"])
    out = []
    for kiosk_id, ids in sorted(local.items()):
        remote = client.digest(kiosk_id)
        stores = remote.get("stores")
        out.append(
            VerifyResult(
                kiosk_id=kiosk_id,
                local_count=len(ids),
                remote_count=int(remote["count"]),
                local_sha256=ids_digest(ids),
                remote_sha256=str(remote["sha256"]),
                stores=stores if isinstance(stores, int) and not isinstance(stores, bool) else 0,
            )
        )
    return out


def flagged(store: RecordStore, records: list[dict[str, Any]] | None = None) -> list[Rejection]:
    """Every record of the store flagged ``conflict``/``invalid``, whichever run flagged it."""
    rows = store.records() if records is None else records
    return [
        Rejection(r["id"], r["sync_status"], r.get("sync_error") or r["sync_status"])
        for r in rows
        if r.get("sync_status") in REJECTED_STATUSES and not r.get("synced_at")
    ]


def _stop(summary: SyncSummary, kind: str, exc: BaseException) -> None:
    summary.error = str(exc)
    summary.error_kind = kind
    log.warning("sync stopped: %s", exc)


def describe(record: dict[str, Any]) -> str:
    """A short, non-personal description of a record for summaries (id, survey, kind)."""
    return f"{record.get('id')} ({record.get('survey_id')}, {record.get('kind')})"
