"""Crash test: a child saves in a loop and is killed with SIGKILL at random moments.

Every line the child printed was printed after the store call returned, so the
store must hold it after ``kill -9``. Rounds run on one data directory; set
BORGERKIOSK_CRASH_ROUNDS=1000 for the long run (``benchmarks/bench_store.py``
tells how).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import store_child
from helpers.store_child import derived_contact, derived_id, derived_record
from kiosk.records import public_view
from kiosk.store import RecordStore

CHILD = Path(store_child.__file__).resolve()
ROUNDS = int(os.environ.get("BORGERKIOSK_CRASH_ROUNDS", "25"))


def start_child(args: list[str], out: Path) -> subprocess.Popen[bytes]:
    with open(out, "wb") as sink:
        return subprocess.Popen(
            [sys.executable, str(CHILD), *args], stdout=sink, stderr=subprocess.PIPE
        )


def wait_for_line(proc: subprocess.Popen[bytes], out: Path, marker: bytes) -> None:
    """Wait (at most 30 s) until the child printed ``marker``."""
    deadline = time.monotonic() + 30
    while marker + b"\n" not in out.read_bytes():
        assert proc.poll() is None, f"child exited early: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, "child did not start in 30 s"
        time.sleep(0.01)


def acknowledgements(out: Path) -> list[list[str]]:
    """Complete lines only: a line cut by the kill was never an acknowledgement."""
    raw = out.read_bytes()
    complete = raw[: raw.rfind(b"\n") + 1].decode()
    return [line.split(" ") for line in complete.splitlines()]


def origin(record: dict[str, Any]) -> tuple[int, int]:
    return int(record["kiosk_id"].removeprefix("crash-")), record["answers"]["n"]


def check_store(data_dir: Path, saved: dict[str, tuple[int, int]], marked: dict[str, str]) -> None:
    """The store opens; every acknowledged change is there, exactly once and intact."""
    with RecordStore(data_dir) as store:
        records = store.records()
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)), "an id appears twice"
        assert len(store) == len(records)
        by_id = {r["id"]: r for r in records}
        missing = set(saved) - set(by_id)
        assert not missing, f"{len(missing)} acknowledged record(s) lost"
        for record in records:  # acknowledged or not, nothing stored is garbled
            round_no, counter = origin(record)
            assert public_view(record) == derived_record(round_no, counter)
        contacts = store.contacts()
        for rid, (round_no, counter) in saved.items():
            expected = derived_contact(round_no, counter)
            if expected is not None:
                assert contacts[rid] == {**expected, "record_id": rid}
        for rid, at in marked.items():
            assert by_id[rid].get("synced_at") == at, f"acknowledged mark of {rid} lost"
        assert store.pending_count() == sum(1 for r in records if not r.get("synced_at"))


@pytest.mark.timeout(max(300, ROUNDS * 6))  # the long run takes about 1.5 s a round
def test_kill_9_at_random_moments_loses_no_acknowledged_record(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(20261123)
    saved: dict[str, tuple[int, int]] = {}
    marked: dict[str, str] = {}
    for round_no in range(ROUNDS):
        out = tmp_path / f"round-{round_no}.out"
        proc = start_child(
            ["save", str(data_dir), str(round_no), "--compact-min-bytes", "4096"], out
        )
        try:
            wait_for_line(proc, out, b"READY")
            time.sleep(rng.uniform(0.0, 0.25))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, "the child ended before it was killed"
        counter = 0
        for line in acknowledgements(out):
            if line[0] == "S":
                assert line[1] == derived_id(round_no, counter)
                saved[line[1]] = (round_no, counter)
                counter += 1
            elif line[0] == "M":
                for rid in line[2].split(",") if len(line) > 2 else []:
                    marked[rid] = line[1]
        check_store(data_dir, saved, marked)
        out.unlink()
    assert saved, "the child never got to save anything"
    assert marked, "the child never got to mark anything synced"
