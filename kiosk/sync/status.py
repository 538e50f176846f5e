"""The kiosk's status message: how it is doing, sent to the collector after each sync round.

The organisers' overview at the collector shows per kiosk what is still pending on it, its
last sync error, the health of its store and the disk space left, so a kiosk in trouble is
seen before the event ends (docs/sync-protocol.md, ``POST /v1/status``). The message holds
counts, ids and our own error texts only: never a record, a visitor's words or a path.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.records import now_iso
from kiosk.sanitize import clean_text
from kiosk.store import RecordStore

#: The longest last-error text sent; the collector refuses longer ones.
MAX_ERROR_LENGTH = 300
#: The file the kiosk keeps its made-up id in (kiosk.config.KIOSK_ID_FILE, not imported: the
#: config module pulls in more than a sync thread needs).
_KIOSK_ID_FILE = "kiosk-id"


def kiosk_id_of(store: RecordStore) -> str | None:
    """The id this data directory's kiosk sends under, when it can be told without a config.

    The kiosk-id file a kiosk without a configured id keeps, else the kiosk id of the newest
    record; None for an empty data directory of a kiosk with a configured id.
    """
    try:
        kept = (store.data_dir / _KIOSK_ID_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeError):
        kept = ""
    if kept:
        return kept
    for record in reversed(store.records()):
        kiosk_id = record.get("kiosk_id")
        if isinstance(kiosk_id, str) and kiosk_id:
            return kiosk_id
    return None


def build_status(
    store: RecordStore,
    kiosk_id: str,
    *,
    last_error: str | None = None,
    last_error_at: str | None = None,
    last_success_at: str | None = None,
) -> dict[str, Any]:
    """The status message of ``store``'s kiosk now (JSON-ready).

    ``last_error`` is the sync's own error text (it never holds record contents); it is
    cleaned and cut to :data:`MAX_ERROR_LENGTH` all the same, as it is shown on a web page.
    """
    health = store.health()
    return {
        "kiosk_id": kiosk_id,
        "store_id": store.store_id,
        "pending": health.pending,
        "records": health.records,
        "store_ok": health.ok,
        "store_problems": len(health.problems),
        "disk_free_bytes": disk_free(store.data_dir),
        "last_error": clean_text(last_error, MAX_ERROR_LENGTH) if last_error else None,
        "last_error_at": last_error_at,
        "last_success_at": last_success_at,
        "app_version": __version__,
        "clock": now_iso(),
    }


def disk_free(directory: Path) -> int | None:
    """Bytes free on the disk holding ``directory`` (None when it cannot be asked)."""
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return None
