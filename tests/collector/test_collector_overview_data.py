"""The organisers' overview figures: pure rules (gone quiet, the Danish day) and the figures
of a real collector that two kiosks synced to with the real ``kiosk sync``."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from helpers.collector import CollectorProcess, kiosk_record
from kiosk.collector.kiosk_status import KioskRecords, KioskStatus
from kiosk.collector.overview import build_overview, day_window, load_overview
from kiosk.collector.storage import CollectorStorage
from kiosk.results.model import COPENHAGEN
from kiosk.store import RecordStore

pytestmark = pytest.mark.timeout(120)
NOW = datetime(2026, 9, 5, 12, 0, tzinfo=UTC)


def status(kiosk_id: str, received_at: str, **changes: object) -> KioskStatus:
    fields: dict = {
        "kiosk_id": kiosk_id,
        "store_id": None,
        "pending": 4,
        "records": 40,
        "store_ok": True,
        "store_problems": 0,
        "disk_free_bytes": 10**10,
        "last_error": None,
        "last_error_at": None,
        "last_success_at": received_at,
        "app_version": "0.1.0",
        "kiosk_clock": received_at,
        "received_at": received_at,
    }
    fields.update(changes)
    return KioskStatus(**fields)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_a_kiosk_goes_quiet_after_ten_minutes_by_default_and_when_configured() -> None:
    statuses = {
        "k-recent": status("k-recent", iso(NOW - timedelta(minutes=9, seconds=59))),
        "k-quiet": status("k-quiet", iso(NOW - timedelta(minutes=10, seconds=1))),
    }
    overview = build_overview(statuses, {}, {}, NOW)
    quiet = {row.kiosk_id: row.quiet for row in overview.kiosks}
    assert quiet == {"k-recent": False, "k-quiet": True}
    assert [row.kiosk_id for row in overview.quiet] == ["k-quiet"]
    longer = build_overview(statuses, {}, {}, NOW, quiet_after=timedelta(minutes=15))
    assert not longer.quiet
    shorter = build_overview(statuses, {}, {}, NOW, quiet_after=timedelta(minutes=5))
    assert len(shorter.quiet) == 2


def test_last_heard_is_the_latest_of_status_records_and_submissions() -> None:
    old_status = status("k1", iso(NOW - timedelta(hours=1)))
    records = {"k1": KioskRecords("k1", 10, 3, iso(NOW - timedelta(minutes=30)))}
    seen = {"k1": iso(NOW - timedelta(minutes=2))}
    row = build_overview({"k1": old_status}, records, seen, NOW).kiosks[0]
    assert row.last_heard == NOW - timedelta(minutes=2) and not row.quiet
    assert (row.records_total, row.records_today, row.pending) == (10, 3, 4)
    # a kiosk only known from its records (an older kiosk, no status) is listed too
    only = build_overview({}, records, {}, NOW).kiosks[0]
    assert only.pending is None and not only.has_status and only.quiet
    assert only.last_heard is not None and only.last_heard.utcoffset() == timedelta(hours=2)


def test_store_problems_little_disk_and_clock_skew_are_flagged() -> None:
    heard = iso(NOW - timedelta(minutes=1))
    ahead = iso(NOW - timedelta(minutes=1) + timedelta(seconds=90))
    row = build_overview(
        {
            "k": status(
                "k",
                heard,
                store_ok=False,
                store_problems=2,
                disk_free_bytes=100 * 2**20,
                kiosk_clock=ahead,
                last_error="the collector answered HTTP 503",
                last_error_at=heard,
            )
        },
        {},
        {},
        NOW,
    ).kiosks[0]
    assert row.troubled and not row.quiet and row.store_ok is False and row.store_problems == 2
    assert row.disk_low and row.clock_skew_s == pytest.approx(90.0)
    assert row.last_error == "the collector answered HTTP 503"
    healthy = build_overview({"k": status("k", heard)}, {}, {}, NOW).kiosks[0]
    assert not healthy.troubled and not healthy.disk_low


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2026, 9, 5), "2026-09-04T22:00:00", "2026-09-05T22:00:00"),  # summer time
        (date(2026, 12, 2), "2026-12-01T23:00:00", "2026-12-02T23:00:00"),  # winter time
        (date(2026, 3, 29), "2026-03-28T23:00:00", "2026-03-29T22:00:00"),  # 23-hour day
        (date(2026, 10, 25), "2026-10-24T22:00:00", "2026-10-25T23:00:00"),  # 25-hour day
    ],
)
def test_the_danish_day_in_utc(day: date, start: str, end: str) -> None:
    assert day_window(day) == (start, end)


def kiosk_sync(data_dir: Path, collector: CollectorProcess, token: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "sync",
            "--data",
            str(data_dir),
            "--endpoint",
            collector.url,
            "--token-file",
            str(token),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_figures_of_two_kiosks_synced_with_kiosk_sync(
    tmp_path: Path, shared_collector: CollectorProcess, token_file: Path
) -> None:
    now = datetime.now(UTC)
    today = iso(now - timedelta(seconds=5))
    # 23:30 local time yesterday is never today in Copenhagen, whatever the season
    local_yesterday = now.astimezone(COPENHAGEN) - timedelta(days=1)
    yesterday = iso(local_yesterday.replace(hour=23, minute=30).astimezone(UTC))
    plan = {"ov-north": (6, 2), "ov-south": (3, 5)}  # (visits today, visits yesterday)
    for kiosk_id, (n_today, n_yesterday) in plan.items():
        data_dir = tmp_path / kiosk_id
        with RecordStore(data_dir, durable=False) as store:
            for n in range(n_today):
                store.save(kiosk_record(kiosk_id, n, started_at=today))
            for n in range(n_yesterday):
                store.save(kiosk_record(kiosk_id, 100 + n, started_at=yesterday))
        kiosk_sync(data_dir, shared_collector, token_file)
    # a record saved after the sync is not at the collector: not counted
    with RecordStore(tmp_path / "ov-south", durable=False) as store:
        store.save(kiosk_record("ov-south", 999, started_at=today))
    storage = CollectorStorage(shared_collector.db)
    try:
        overview = load_overview(storage)
    finally:
        storage.close()
    rows = {row.kiosk_id: row for row in overview.kiosks if row.kiosk_id in plan}
    assert set(rows) == set(plan)
    for kiosk_id, (n_today, n_yesterday) in plan.items():
        row = rows[kiosk_id]
        assert row.records_today == n_today, kiosk_id
        assert row.records_total == n_today + n_yesterday, kiosk_id
        assert row.pending == 0 and row.store_ok and not row.quiet and row.last_error is None
        assert row.disk_free_bytes and row.app_version
        assert row.last_heard is not None and row.last_heard >= now - timedelta(seconds=60)
