"""The kiosk's UI and sync thread share one store; ``kiosk sync`` may run as a second process.

Afterwards every saved record is there exactly once and every acknowledged
mark is still there (no lost update); a process that keeps the lock too long
gives a clear StoreBusyError instead of a hang.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers import store_child
from helpers.store_child import derived_id, derived_record
from kiosk.records import public_view
from kiosk.store import RecordStore, StoreBusyError

CHILD = Path(store_child.__file__).resolve()
Make = Callable[..., dict[str, Any]]


def test_ui_thread_and_sync_thread_at_once(tmp_path: Path, make_record: Make) -> None:
    store = RecordStore(tmp_path / "data", compact_min_bytes=20_000)
    saved = [make_record(answers={"n": n}) for n in range(300)]
    marked: dict[str, str] = {}
    errors: list[BaseException] = []
    done = threading.Event()

    def ui() -> None:
        try:
            for record in saved:
                store.save(record)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    def sync() -> None:
        try:
            n = 0
            while not done.is_set() or store.pending_count():
                batch = [r["id"] for r in store.pending(limit=7)]
                at = f"2026-09-05T12:00:{n % 60:02d}.000Z"
                store.mark_synced(batch, at=at)
                marked.update(dict.fromkeys(batch, at))
                n += 1
                assert n < 10_000
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ui), threading.Thread(target=sync)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    store.close()
    with RecordStore(tmp_path / "data") as reopened:
        records = reopened.records()
        assert [public_view(r) for r in records] == saved
        assert {r["id"]: r.get("synced_at") for r in records} == marked
        assert reopened.pending_count() == 0


def run_child(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_savers_and_a_syncing_process_on_one_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with RecordStore(data_dir):
        pass
    count = 150
    go = tmp_path / "go"
    children = [
        run_child(["save", str(data_dir), "1", "--count", str(count), "--go", str(go)]),
        run_child(["save", str(data_dir), "2", "--count", str(count), "--go", str(go)]),
        run_child(["mark", str(data_dir), "--count", "150", "--go", str(go)]),
    ]
    for child in children:
        assert child.stdout.readline() == "READY\n"
    go.touch()  # all three start at once
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=170)
        assert child.returncode == 0, err
        outputs.append(out.splitlines())
    # Two processes may both mark one record (each read it as pending): either stamp is right.
    marked: dict[str, set[str]] = {}
    for lines in outputs:
        for line in lines:
            if line.startswith("M "):
                _, at, ids = line.split(" ")
                for rid in filter(None, ids.split(",")):
                    marked.setdefault(rid, set()).add(at)
    for lines in outputs[:2]:
        assert sum(line.startswith("S ") for line in lines) == count
    assert any(line == "C" for line in outputs[2]), "the syncing process never compacted"

    with RecordStore(data_dir) as store:
        records = store.records()
        by_id = {r["id"]: r for r in records}
        assert len(by_id) == len(records) == 2 * count
        for round_no in (1, 2):
            for n in range(count):
                record = by_id[derived_id(round_no, n)]
                assert public_view(record) == derived_record(round_no, n)
        assert len(marked) > 20
        for rid, stamps in marked.items():
            assert by_id[rid]["synced_at"] in stamps, f"acknowledged mark of {rid} lost"
        assert store.health().problems == []


def test_a_lock_held_too_long_gives_a_clear_busy_error(tmp_path: Path, make_record: Make) -> None:
    data_dir = tmp_path / "data"
    store = RecordStore(data_dir, lock_timeout=0.3)
    first = make_record()
    store.save(first)
    holder = run_child(["hold-lock", str(data_dir), "20"])
    try:
        assert holder.stdout.readline() == "LOCKED\n"
        late = make_record()
        with pytest.raises(StoreBusyError) as caught:
            store.save(late)
        message = str(caught.value)
        assert str(data_dir / "store") in message and "locked" in message
        with pytest.raises(StoreBusyError):
            RecordStore(data_dir, lock_timeout=0.2)
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    store.save(late)  # the holder is gone: its lock went with it
    assert [r["id"] for r in store.records()] == [first["id"], late["id"]]
    store.close()


def test_a_short_lock_is_waited_for(tmp_path: Path, make_record: Make) -> None:
    data_dir = tmp_path / "data"
    store = RecordStore(data_dir, lock_timeout=30)
    holder = run_child(["hold-lock", str(data_dir), "0.5"])
    try:
        assert holder.stdout.readline() == "LOCKED\n"
        store.save(make_record())
        saved_at = time.time()
        released = holder.stdout.readline().split()
        assert released[0] == "RELEASED"
        assert float(released[1]) <= saved_at, "the save went ahead while the lock was held"
    finally:
        holder.communicate(timeout=30)
    assert len(store) == 1
    store.close()
