"""How long a durable save takes as the store fills up, next to the alternatives.

    python benchmarks/bench_store.py            # 1,000 / 10,000 / 50,000 stored records
    python benchmarks/bench_store.py --quick    # fewer saves measured, same sizes
    python benchmarks/bench_store.py --crash-rounds 1000   # also the long kill -9 run

Prints p50 and p99 of one durable save (``RecordStore.save``: appended, fdatasync'd)
at each size, side by side in the same run with stock TinyDB ``JSONStorage``
(rewrites the whole file, and does not even fsync), a bare JSON-lines append with
fdatasync (the floor: one fsync per save) and sqlite3 (WAL, synchronous=FULL).
Then the two goal ratios: p50 at 50,000 / p50 at 1,000 (goal <= 1.2) and p50 at
50,000 / the floor's p50 (goal <= 5).

Pre-filled stores are built fast (a snapshot written directly, a JSON file, one
SQLite transaction); only the measured saves are durable. Data goes to a
temporary directory on the same disk as this checkout (not tmpfs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinydb import TinyDB  # noqa: E402
from tinydb.storages import JSONStorage  # noqa: E402

from kiosk.records import new_record  # noqa: E402
from kiosk.store import RecordStore  # noqa: E402
from kiosk.store.log_storage import write_snapshot  # noqa: E402
from kiosk.store.record_store import RECORDS, SHARD_SIZE  # noqa: E402

SIZES = (1_000, 10_000, 50_000)


def make_record(n: int) -> dict[str, Any]:
    """A realistic record of about 600 bytes."""
    return new_record(
        kind="response",
        survey_id="gentofte-moedes",
        survey_version=3,
        survey_hash="9f" * 32,
        kiosk_id="gentofte-raadhus-1",
        lang="da",
        started_at="2026-09-05T10:00:00.000Z",
        completed=True,
        answers={
            "tilknytning": "bor",
            "emner": ["klima", "kultur", "trafik"],
            "alder": 20 + n % 60,
            "tilfreds": 4,
            "fritekst": "Flere bænke og mere grønt ved stationen, tak. " * 3,
            "kontakt_ok": n % 2 == 0,
        },
    )


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    ms = sorted(s / 1e6 for s in samples_ns)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return statistics.median(ms), p99


def timed(save: Callable[[int], None], first: int, count: int) -> list[int]:
    samples = []
    for n in range(first, first + count):
        started = time.perf_counter_ns()
        save(n)
        samples.append(time.perf_counter_ns() - started)
    return samples


# --- the contenders -----------------------------------------------------------------------


def bench_record_store(directory: Path, size: int, count: int) -> list[int]:
    """Our store, pre-filled through a snapshot in the store's own format."""
    store_dir = directory / "store"
    store_dir.mkdir(parents=True)
    tables: dict[str, dict[str, Any]] = {}
    for n in range(size):
        tables.setdefault(f"{RECORDS}.{n // SHARD_SIZE:05d}", {})[str(n + 1)] = make_record(n)
    write_snapshot(store_dir, 1, tables)
    (store_dir / "log-000001.jsonl").touch()
    store = RecordStore(directory)
    assert len(store) == size
    try:
        return timed(lambda n: store.save(make_record(n)), size, count)
    finally:
        store.close()


def bench_tinydb_json(directory: Path, size: int, count: int) -> list[int]:
    """Stock TinyDB: every insert rewrites and re-parses the whole JSON file."""
    path = directory / "db.json"
    path.write_text(json.dumps({"_default": {str(n + 1): make_record(n) for n in range(size)}}))
    db = TinyDB(path, storage=JSONStorage)
    try:
        return timed(lambda n: db.insert(make_record(n)), size, count)
    finally:
        db.close()


def bench_jsonl_floor(directory: Path, size: int, count: int) -> list[int]:
    """The floor: one append and one fdatasync per save, nothing else."""
    path = directory / "records.jsonl"
    with open(path, "wb") as out:
        for n in range(size):
            out.write(json.dumps(make_record(n)).encode() + b"\n")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    sync = getattr(os, "fdatasync", os.fsync)

    def save(n: int) -> None:
        os.write(fd, json.dumps(make_record(n), ensure_ascii=False).encode() + b"\n")
        sync(fd)

    try:
        return timed(save, size, count)
    finally:
        os.close(fd)


def bench_sqlite(directory: Path, size: int, count: int) -> list[int]:
    """sqlite3 with WAL and synchronous=FULL, one committed transaction per save."""
    db = sqlite3.connect(directory / "records.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE records (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO records VALUES (?, ?)",
        ((r["id"], json.dumps(r)) for r in map(make_record, range(size))),
    )
    db.execute("COMMIT")

    def save(n: int) -> None:
        record = make_record(n)
        db.execute("INSERT INTO records VALUES (?, ?)", (record["id"], json.dumps(record)))

    try:
        return timed(save, size, count)
    finally:
        db.close()


CONTENDERS: dict[str, Callable[[Path, int, int], list[int]]] = {
    "RecordStore (log+snapshot)": bench_record_store,
    "JSON-lines + fdatasync (floor)": bench_jsonl_floor,
    "sqlite3 WAL, sync=FULL": bench_sqlite,
    "TinyDB JSONStorage (no fsync)": bench_tinydb_json,
}


def saves_to_measure(name: str, size: int, quick: bool) -> int:
    if name.startswith("TinyDB"):  # hundreds of ms each at 10k/50k: time-boxed
        return {1_000: 40, 10_000: 10, 50_000: 4}[size] // (2 if quick else 1)
    return 200 if quick else 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="measure fewer saves")
    parser.add_argument(
        "--crash-rounds",
        type=int,
        default=0,
        help="also run the kill -9 crash test with this many rounds (e.g. 1000)",
    )
    args = parser.parse_args()
    results: dict[tuple[str, int], tuple[float, float, int]] = {}
    scratch = Path(tempfile.mkdtemp(prefix="bench-store-", dir=ROOT / "benchmarks"))
    try:
        for size in SIZES:
            for name, bench in CONTENDERS.items():
                directory = scratch / f"{size}-{len(results)}"
                directory.mkdir()
                count = saves_to_measure(name, size, args.quick)
                p50, p99 = percentiles(bench(directory, size, count))
                results[(name, size)] = (p50, p99, count)
                shutil.rmtree(directory)
                note = f"  measured {name} at {size:,}: p50 {p50:.3f} ms"
                print(note, file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    sys.stderr.flush()
    print()
    print("Durable save, milliseconds (p50 / p99, saves measured) by records already stored")
    header = f"{'':32}" + "".join(f"{size:>24,}" for size in SIZES)
    print(header)
    for name in CONTENDERS:
        cells = "".join(
            f"{f'{p50:.3f} / {p99:.3f} ({n})':>24}"
            for p50, p99, n in (results[(name, size)] for size in SIZES)
        )
        print(f"{name:32}{cells}")
    ours = "RecordStore (log+snapshot)"
    growth = results[(ours, 50_000)][0] / results[(ours, 1_000)][0]
    floor = results[(ours, 50_000)][0] / results[("JSON-lines + fdatasync (floor)", 50_000)][0]
    print()
    print(f"p50 at 50,000 / p50 at 1,000:    {growth:5.2f}  (goal <= 1.2)  {_verdict(growth, 1.2)}")
    print(f"p50 at 50,000 / one-fsync floor: {floor:5.2f}  (goal <= 5)    {_verdict(floor, 5.0)}")
    tinydb = results[("TinyDB JSONStorage (no fsync)", 50_000)][0] / results[(ours, 50_000)][0]
    print(f"stock TinyDB / RecordStore at 50,000: {tinydb:.0f}x slower", flush=True)

    if args.crash_rounds:
        print(f"\nkill -9 crash test, {args.crash_rounds} rounds:")
        env = {**os.environ, "BORGERKIOSK_CRASH_ROUNDS": str(args.crash_rounds)}
        test = str(ROOT / "tests" / "store" / "test_store_crash.py")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
            env=env,
            check=False,
        )
        sys.exit(done.returncode)


def _verdict(ratio: float, goal: float) -> str:
    return "met" if ratio <= goal else "MISSED"


if __name__ == "__main__":
    main()
