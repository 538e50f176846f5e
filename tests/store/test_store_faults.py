"""Injected I/O errors: a failing write or fsync and a full disk.

The save raises a clear StoreWriteError, nothing acknowledged is lost, memory
matches the disk again, and the store opens afterwards. The faults are made in
the operating system layer (a real file size limit, or ``os`` functions that
raise), never by replacing our own code.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers import store_child
from helpers.store_child import derived_contact, derived_id, derived_record
from kiosk.store import RecordStore, StoreError, StoreWriteError

CHILD = Path(store_child.__file__).resolve()
Make = Callable[..., dict[str, Any]]


def test_disk_full_in_a_real_process_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with RecordStore(data_dir) as store:  # something stored before the disk fills up
        store.save(derived_record(0, 0), derived_contact(0, 0))
    done = subprocess.run(
        [sys.executable, str(CHILD), "fill", str(data_dir), "1", "--room", "20000"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    saved = [line.split(" ")[1] for line in lines if line.startswith("S ")]
    errors = [line[2:] for line in lines if line.startswith("E ")]
    assert 5 < len(saved) < 100, "the size limit did not bite where expected"
    assert len(errors) == 3
    for message in errors:
        assert "the disk is full" in message and "nothing saved is lost" in message
        assert "log-000000.jsonl" in message
    # The size limit is per file, so the snapshot (smaller than the log) may still fit.
    (compaction,) = [line for line in lines if line.startswith(("C", "CE"))]
    assert compaction == "C" or "the disk is full" in compaction
    assert saved == [derived_id(1, n) for n in range(len(saved))]

    with RecordStore(data_dir) as store:
        assert store.health().problems == [], "a failed save left a torn line behind"
        records = {r["id"]: r for r in store.records()}
        assert list(records) == [derived_id(0, 0), *saved]
        for n, rid in enumerate(saved):
            assert records[rid] == derived_record(1, n)
        store.save(derived_record(2, 0))  # room again: saving goes on
    with RecordStore(data_dir) as store:
        assert len(store) == len(saved) + 2
    leftovers = [p.name for p in (data_dir / "store").iterdir() if p.suffix in (".tmp",)]
    assert leftovers == []


def failing(code: int) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


def short_write(fd: int, data: bytes) -> int:
    """The kernel wrote only part of the line before the disk filled up."""
    return REAL_WRITE(fd, data[: len(data) // 2])


REAL_WRITE = os.write
FAULTS: dict[str, tuple[str, Callable[..., Any], str]] = {
    "fdatasync-ENOSPC": ("fdatasync", failing(errno.ENOSPC), "the disk is full"),
    "fdatasync-EIO": ("fdatasync", failing(errno.EIO), "Input/output error"),
    "write-ENOSPC": ("write", failing(errno.ENOSPC), "the disk is full"),
    "write-EDQUOT": ("write", failing(errno.EDQUOT), "the disk is full"),
    "write-EROFS": ("write", failing(errno.EROFS), "permissions"),
    "short-write": ("write", short_write, "the disk is full"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_failed_write_or_fsync_rolls_back_and_the_next_save_works(
    tmp_path: Path, make_record: Make, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    name, broken, expected_message = FAULTS[fault]
    if name == "fdatasync" and not hasattr(os, "fdatasync"):
        name = "fsync"
    data_dir = tmp_path / "data"
    kept = [make_record(answers={"n": n}, ref=f"GM-{n}") for n in range(3)]
    store = RecordStore(data_dir)
    for record in kept:
        store.save(record, {"name": "Anne"})
    store.mark_synced([kept[0]["id"]], at="2026-09-05T12:00:00.000Z")
    log = next((data_dir / "store").glob("log-*.jsonl"))
    size = log.stat().st_size

    lost = make_record(answers={"n": 99}, ref="GM-99")
    with monkeypatch.context() as patch:
        patch.setattr(os, name, broken)
        with pytest.raises(StoreWriteError) as caught:
            store.save(lost, {"name": "Bo"})
        assert expected_message in str(caught.value)
        with pytest.raises(StoreWriteError):
            store.mark_synced([kept[1]["id"]])
    assert log.stat().st_size == size, "the failed line was not taken back"
    assert store.get(lost["id"]) is None
    assert not store.has_ref("GM-99")
    assert len(store) == 3 and store.pending_count() == 2
    assert "synced_at" not in store.get(kept[1]["id"])
    assert set(store.contacts()) == {r["id"] for r in kept}

    again = make_record(answers={"n": 100})
    store.save(again)  # the fault is gone: saving works again
    store.mark_synced([kept[1]["id"]], at="2026-09-05T13:00:00.000Z")
    store.close()
    with RecordStore(data_dir) as reopened:
        assert [r["id"] for r in reopened.records()] == [*(r["id"] for r in kept), again["id"]]
        assert reopened.get(kept[1]["id"])["synced_at"] == "2026-09-05T13:00:00.000Z"
        assert reopened.health().problems == []


def test_failing_compaction_keeps_the_save_acknowledged_and_reports_it(
    tmp_path: Path, make_record: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fsync (used for snapshots) fails but fdatasync (used for the log) works."""
    if not hasattr(os, "fdatasync"):
        pytest.fail("this test needs a platform with fdatasync")
    data_dir = tmp_path / "data"
    store = RecordStore(data_dir, compact_min_bytes=10_000)
    fsync_calls: list[int] = []

    def broken_fsync(fd: int) -> None:
        fsync_calls.append(fd)
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    saved = []
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", broken_fsync)
        while not fsync_calls:  # saves go on until the log is big enough to compact
            saved.append(make_record())
            store.save(saved[-1])  # acknowledged: the compaction after it is housekeeping
            assert len(saved) < 200
        for _ in range(3):  # no new attempt on every save while it keeps failing
            saved.append(make_record())
            store.save(saved[-1])
        assert len(fsync_calls) == 1
        while len(fsync_calls) == 1:  # ... but again once the log grew by a quarter
            saved.append(make_record())
            store.save(saved[-1])
            assert len(saved) < 400
        with pytest.raises(StoreWriteError, match="Input/output error"):
            store.compact()
    problems = store.health().problems
    assert len(problems) == 1 and "compaction failed" in problems[0], problems
    saved.append(make_record())
    store.save(saved[-1])
    store.close()
    with RecordStore(data_dir) as reopened:
        assert reopened.records() == saved
    assert not list((data_dir / "store").glob("*.tmp"))


def test_a_record_json_cannot_hold_is_refused_and_nothing_changes(
    tmp_path: Path, make_record: Make
) -> None:
    with RecordStore(tmp_path / "data") as store:
        store.save(make_record())
        with pytest.raises(StoreWriteError, match="cannot be stored as JSON"):
            store.save(make_record(answers={"when": {1, 2}}))
        assert len(store) == 1 and store.pending_count() == 1
        store.save(make_record())
        assert len(store) == 2


def test_a_data_directory_that_is_a_file_gives_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be")
    with pytest.raises(StoreError) as caught:
        RecordStore(not_a_folder)
    assert str(not_a_folder) in str(caught.value) and "Not a directory" in str(caught.value)
    assert not_a_folder.read_text() == "a file where the data folder should be"
