"""The organisers' event overview: per kiosk, is it alive, how much arrived, is it in trouble.

:func:`build_overview` is pure (figures in, figures out, the time given), so its rules are
tested without a clock; :func:`load_overview` reads the figures through
:mod:`kiosk.collector.kiosk_status`, which holds the SQL. The web page only renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from kiosk.collector.kiosk_status import (
    KioskRecords,
    KioskStatus,
    data_directories_per_kiosk,
    last_seen_per_kiosk,
    latest_statuses,
    records_per_kiosk,
)
from kiosk.records import parse_iso
from kiosk.results.model import COPENHAGEN

if TYPE_CHECKING:
    from kiosk.collector.storage import CollectorStorage

#: A kiosk not heard from for this long is shown as gone quiet (it syncs every minute).
DEFAULT_QUIET_AFTER = timedelta(minutes=10)
#: Below this much free disk a kiosk is warned about (a day of records takes a few MB).
DEFAULT_LOW_DISK_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True)
class KioskRow:
    """One kiosk's line of the overview. Times are aware, in Europe/Copenhagen."""

    kiosk_id: str
    last_heard: datetime | None
    quiet: bool
    records_today: int
    records_total: int
    #: From the kiosk's latest status (None: it never sent one, e.g. an older kiosk).
    pending: int | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_success_at: datetime | None = None
    store_ok: bool | None = None
    store_problems: int = 0
    disk_free_bytes: int | None = None
    disk_low: bool = False
    app_version: str | None = None
    #: The kiosk's clock minus the collector's when the status arrived, in seconds.
    clock_skew_s: float | None = None
    #: Data directories (store ids) that sent under this kiosk id; 0 for older kiosks.
    data_directories: int = 0

    @property
    def has_status(self) -> bool:
        return self.app_version is not None

    @property
    def shared_id(self) -> bool:
        """Two kiosks (data directories) send under this one id: a copied config, say."""
        return self.data_directories > 1

    @property
    def troubled(self) -> bool:
        """Whether the row needs an organiser's eye (quiet, a store problem, little disk,
        a kiosk id two kiosks share)."""
        return self.quiet or self.store_ok is False or self.disk_low or self.shared_id


@dataclass(frozen=True)
class Overview:
    kiosks: list[KioskRow]
    now: datetime
    day: date
    quiet_after: timedelta
    records_today: int
    records_total: int

    @property
    def quiet(self) -> list[KioskRow]:
        return [row for row in self.kiosks if row.quiet]

    @property
    def shared(self) -> list[KioskRow]:
        return [row for row in self.kiosks if row.shared_id]


def day_window(day: date) -> tuple[str, str]:
    """The Danish local ``day`` as a UTC window [start, end) in ISO form (DST included)."""
    start = datetime.combine(day, time(0), COPENHAGEN).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), COPENHAGEN).astimezone(UTC)
    return start.strftime("%Y-%m-%dT%H:%M:%S"), end.strftime("%Y-%m-%dT%H:%M:%S")


def parse_utc(value: str | None) -> datetime | None:
    """A stored UTC ISO time as an aware datetime (None when missing or unreadable)."""
    moment = parse_iso(value)
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def build_overview(
    statuses: Mapping[str, KioskStatus],
    records: Mapping[str, KioskRecords],
    last_seen: Mapping[str, str],
    now: datetime,
    *,
    quiet_after: timedelta = DEFAULT_QUIET_AFTER,
    low_disk_bytes: int = DEFAULT_LOW_DISK_BYTES,
    data_directories: Mapping[str, int] | None = None,
) -> Overview:
    """The overview at ``now`` (aware) from the collector's figures; kiosks sorted by id.

    A kiosk is heard from when a status or a submission of it arrives; ``records`` are
    counted in the window of :func:`day_window` for today by the caller.
    ``data_directories`` counts the store ids seen under each kiosk id.
    """
    data_directories = data_directories or {}
    local_now = now.astimezone(COPENHAGEN)
    rows = []
    for kiosk_id in sorted(set(statuses) | set(records) | set(last_seen)):
        status = statuses.get(kiosk_id)
        held = records.get(kiosk_id)
        heard = [
            parse_utc(status.received_at if status else None),
            parse_utc(held.last_received if held else None),
            parse_utc(last_seen.get(kiosk_id)),
        ]
        last_heard = max((h for h in heard if h is not None), default=None)
        row = KioskRow(
            kiosk_id=kiosk_id,
            last_heard=last_heard.astimezone(COPENHAGEN) if last_heard else None,
            quiet=last_heard is None or now - last_heard > quiet_after,
            records_today=held.in_window if held else 0,
            records_total=held.total if held else 0,
            data_directories=data_directories.get(kiosk_id, 0),
        )
        if status is not None:
            row = _with_status(row, status, low_disk_bytes)
        rows.append(row)
    return Overview(
        kiosks=rows,
        now=local_now,
        day=local_now.date(),
        quiet_after=quiet_after,
        records_today=sum(r.records_today for r in rows),
        records_total=sum(r.records_total for r in rows),
    )


def _with_status(row: KioskRow, status: KioskStatus, low_disk_bytes: int) -> KioskRow:
    clock, received = parse_utc(status.kiosk_clock), parse_utc(status.received_at)
    error_at, success_at = parse_utc(status.last_error_at), parse_utc(status.last_success_at)
    return KioskRow(
        kiosk_id=row.kiosk_id,
        last_heard=row.last_heard,
        quiet=row.quiet,
        records_today=row.records_today,
        records_total=row.records_total,
        pending=status.pending,
        last_error=status.last_error,
        last_error_at=error_at.astimezone(COPENHAGEN) if error_at else None,
        last_success_at=success_at.astimezone(COPENHAGEN) if success_at else None,
        store_ok=status.store_ok,
        store_problems=status.store_problems,
        disk_free_bytes=status.disk_free_bytes,
        disk_low=status.disk_free_bytes is not None and status.disk_free_bytes < low_disk_bytes,
        app_version=status.app_version,
        clock_skew_s=(clock - received).total_seconds() if clock and received else None,
        data_directories=row.data_directories,
    )


def load_overview(
    storage: CollectorStorage,
    now: datetime | None = None,
    *,
    quiet_after: timedelta = DEFAULT_QUIET_AFTER,
    low_disk_bytes: int = DEFAULT_LOW_DISK_BYTES,
) -> Overview:
    """The overview of what ``storage`` holds now (read-only)."""
    now = now or datetime.now(UTC)
    start, end = day_window(now.astimezone(COPENHAGEN).date())
    return build_overview(
        latest_statuses(storage),
        records_per_kiosk(storage, start, end),
        last_seen_per_kiosk(storage),
        now,
        quiet_after=quiet_after,
        low_disk_bytes=low_disk_bytes,
        data_directories=data_directories_per_kiosk(storage),
    )
