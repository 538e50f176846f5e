"""Kiosks' status messages at the collector, and the per-kiosk figures of the overview.

Every SQL statement the overview needs lives here (the web code calls these functions and
holds no SQL), so moving the collector to another database touches this module only.
The latest status of each kiosk is kept, one row a kiosk (docs/sync-protocol.md,
``POST /v1/status``); it holds counts, ids and the sync's own error text, nothing personal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from kiosk.collector.schema import IsoTime, KioskId
from kiosk.records import now_iso

if TYPE_CHECKING:
    from kiosk.collector.storage import CollectorStorage

#: The schema version that made the table and its indexes (:mod:`kiosk.collector.migrations`).
KIOSK_STATUS_VERSION = 3

#: A status message is small; anything larger is not one (the route refuses it unread).
MAX_STATUS_BODY = 16 * 1024
MAX_ERROR_LENGTH = 300
_COUNT_MAX = 2**53 - 1
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _check_line(value: str) -> str:
    if _UNSAFE_LINE.search(value):
        raise PydanticCustomError(
            "unsafe_text", "holds control, bidirectional or invalid characters"
        )
    return value


Count = Annotated[StrictInt, Field(ge=0, le=_COUNT_MAX)]
Line = Annotated[StrictStr, Field(max_length=MAX_ERROR_LENGTH), AfterValidator(_check_line)]


class StatusMessage(BaseModel):
    """What a kiosk says about itself after a sync round (kiosk.sync.status.build_status)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kiosk_id: KioskId
    store_id: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{32}$")] | None = None
    pending: Count
    records: Count | None = None
    store_ok: StrictBool
    store_problems: Count = 0
    disk_free_bytes: Count | None = None
    last_error: Line | None = None
    last_error_at: IsoTime | None = None
    last_success_at: IsoTime | None = None
    app_version: Annotated[StrictStr, Field(pattern=r"^[0-9A-Za-z.+-]{1,40}$")]
    clock: IsoTime


@dataclass(frozen=True)
class KioskStatus:
    """The latest status a kiosk sent, and when it arrived (collector's clock, UTC ISO)."""

    kiosk_id: str
    store_id: str | None
    pending: int
    records: int | None
    store_ok: bool
    store_problems: int
    disk_free_bytes: int | None
    last_error: str | None
    last_error_at: str | None
    last_success_at: str | None
    app_version: str
    kiosk_clock: str
    received_at: str


@dataclass(frozen=True)
class KioskRecords:
    """What the collector holds of one kiosk: records in all, in a time window, last arrival."""

    kiosk_id: str
    total: int
    in_window: int
    last_received: str | None


_COLUMNS = (
    "kiosk_id, store_id, pending, records, store_ok, store_problems, disk_free_bytes, "
    "last_error, last_error_at, last_success_at, app_version, kiosk_clock, received_at"
)


def save_status(storage: CollectorStorage, message: StatusMessage) -> None:
    """Keep ``message`` as its kiosk's latest status. Raises CollectorBusy when locked."""
    row = (
        message.kiosk_id,
        message.store_id,
        message.pending,
        message.records,
        bool(message.store_ok),
        message.store_problems,
        message.disk_free_bytes,
        message.last_error,
        message.last_error_at,
        message.last_success_at,
        message.app_version,
        message.clock,
        now_iso(),
    )
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[1:])
    with storage.db.transaction() as tx:
        tx.execute(
            f"INSERT INTO kiosk_status ({_COLUMNS}) VALUES ({', '.join(['%s'] * len(row))}) "
            f"ON CONFLICT (kiosk_id) DO UPDATE SET {updates}",
            row,
        )


def latest_statuses(storage: CollectorStorage) -> dict[str, KioskStatus]:
    """Every kiosk's latest status, by kiosk id."""
    rows = storage.db.query(f"SELECT {_COLUMNS} FROM kiosk_status")
    out = {}
    for row in rows:
        status = KioskStatus(*row)
        out[status.kiosk_id] = KioskStatus(**{**status.__dict__, "store_ok": bool(status.store_ok)})
    return out


def records_per_kiosk(
    storage: CollectorStorage, window_start: str, window_end: str
) -> dict[str, KioskRecords]:
    """Per kiosk: records held, those whose visit started in [start, end), the last arrival.

    The window is given in UTC (``YYYY-MM-DDTHH:MM:SS``): the caller turns a local day into it.
    Record times are compared on their first 19 characters, the same in every form a record
    time may take (kiosk.collector.schema.IsoTime). Both queries are answered from indexes
    (``records_kiosk_received``, ``records_started_kiosk``: migration 3).
    """
    db = storage.db
    totals = db.query("SELECT kiosk_id, count(*), max(received_at) FROM records GROUP BY kiosk_id")
    started = f"substr({db.json_field('body', 'started_at')}, 1, 19)"
    window = dict(
        db.query(
            f"SELECT kiosk_id, count(*) FROM records WHERE {started} >= %s AND {started} < %s "
            "GROUP BY kiosk_id",
            (window_start[:19], window_end[:19]),
        )
    )
    return {
        kiosk_id: KioskRecords(kiosk_id, int(total), int(window.get(kiosk_id, 0)), last)
        for kiosk_id, total, last in totals
    }


def last_seen_per_kiosk(storage: CollectorStorage) -> dict[str, str]:
    """Per kiosk: the last time a submission under its id arrived with a store id."""
    rows = storage.db.query("SELECT kiosk_id, max(last_seen) FROM kiosk_stores GROUP BY kiosk_id")
    return {kiosk_id: last for kiosk_id, last in rows if last}


def data_directories_per_kiosk(storage: CollectorStorage) -> dict[str, int]:
    """Per kiosk id: how many data directories (store ids) have sent under it. Above one,
    two kiosks share the id, and ``kiosk sync --verify`` cannot match either of them."""
    rows = storage.db.query("SELECT kiosk_id, count(*) FROM kiosk_stores GROUP BY kiosk_id")
    return {kiosk_id: int(count) for kiosk_id, count in rows}


def records_per_survey(storage: CollectorStorage) -> dict[str, int]:
    """Records held per survey id (the results pages' list of surveys)."""
    rows = storage.db.query(
        "SELECT survey_id, count(*) FROM records GROUP BY survey_id ORDER BY survey_id"
    )
    return {survey_id: int(count) for survey_id, count in rows}


def kiosks_of_survey(storage: CollectorStorage, survey_id: str) -> list[str]:
    """The kiosk ids that sent records of ``survey_id`` (the results page's kiosk filter)."""
    rows = storage.db.query(
        "SELECT DISTINCT kiosk_id FROM records WHERE survey_id = %s ORDER BY kiosk_id",
        (survey_id,),
    )
    return [kiosk_id for (kiosk_id,) in rows]


def records_version(storage: CollectorStorage) -> tuple[int, int]:
    """Changes whenever a record is stored (records are never changed or deleted): a tally
    of the collector's records is still good while this is the same."""
    db = storage.db
    count, last = db.query(f"SELECT count(*), coalesce(max({db.arrival}), 0) FROM records")[0]
    return int(count), int(last)
