"""A kiosk stand-in for the store's crash and multi-process tests: run as a child process.

    python tests/helpers/store_child.py save DATA_DIR ROUND [--compact-min-bytes N] [--count N]
    python tests/helpers/store_child.py mark DATA_DIR [--count N]
    python tests/helpers/store_child.py fill DATA_DIR ROUND [--room BYTES]
    python tests/helpers/store_child.py hold-lock DATA_DIR SECONDS

``save`` saves records derived deterministically from (ROUND, counter), so the
parent can recompute each one, now and then with contact details, marks some
synced and compacts; it prints a line only after the store call returned
(``S <id>``, ``M <at> <id>,<id>...``, ``C``), flushed, so every printed line is
an acknowledgement the parent may hold the store to after ``kill -9``.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from kiosk.store import RecordStore


def derived_id(round_no: int, counter: int) -> str:
    """A UUID4 that depends only on (round, counter)."""
    raw = uuid.uuid5(uuid.NAMESPACE_URL, f"borgerkiosk-crash/{round_no}/{counter}").bytes
    return str(uuid.UUID(bytes=raw, version=4))


def derived_record(round_no: int, counter: int) -> dict[str, Any]:
    """The record the child saves as number ``counter`` of round ``round_no``."""
    return {
        "id": derived_id(round_no, counter),
        "kind": "idea" if counter % 4 == 3 else "response",
        "survey_id": "gentofte-moedes",
        "survey_version": 1,
        "survey_hash": f"{round_no * 100003 + counter:064x}"[-64:],
        "kiosk_id": f"crash-{round_no}",
        "lang": "da" if counter % 2 else "en",
        "started_at": "2026-09-05T10:00:00.000Z",
        "submitted_at": f"2026-09-05T10:{counter // 60 % 60:02d}:{counter % 60:02d}.000Z",
        "completed": counter % 5 != 0,
        "answers": {
            "n": counter,
            "emner": ["klima", "kultur"][: counter % 3],
            "fritekst": "Æbler og ønsker på Gentofte Rådhus " * (counter % 4),
        },
    }


def derived_contact(round_no: int, counter: int) -> dict[str, Any] | None:
    """Every fifth record comes with contact details (given with consent)."""
    if counter % 5 != 1:
        return None
    return {"name": f"Visitor {round_no}-{counter}", "email": f"v{round_no}.{counter}@example.dk"}


def mark_stamp(round_no: int, counter: int) -> str:
    return f"2026-09-06T{round_no % 24:02d}:{counter // 60 % 60:02d}:{counter % 60:02d}.000Z"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def ready(args: argparse.Namespace) -> None:
    """Say READY, then wait (at most 30 s) for the parent's go file so children start at once."""
    say("READY")
    if args.go:
        deadline = time.monotonic() + 30
        while not Path(args.go).exists() and time.monotonic() < deadline:
            time.sleep(0.002)


def run_save(args: argparse.Namespace) -> None:
    store = RecordStore(args.data_dir, compact_min_bytes=args.compact_min_bytes)
    ready(args)
    for counter in range(args.count):
        store.save(derived_record(args.round, counter), derived_contact(args.round, counter))
        say(f"S {derived_id(args.round, counter)}")
        if counter % 7 == 6:
            ids = [r["id"] for r in store.pending(limit=3)]
            at = mark_stamp(args.round, counter)
            store.mark_synced(ids, at=at)
            say(f"M {at} {','.join(ids)}")
        if counter % 13 == 12:
            store.compact()
            say("C")
    store.close()


def run_mark(args: argparse.Namespace) -> None:
    """The sync command's part: mark pending records synced, compact now and then."""
    store = RecordStore(args.data_dir)
    ready(args)
    for n in range(args.count):
        ids = [r["id"] for r in store.pending(limit=5)]
        if ids:
            at = f"2026-09-07T00:00:{n % 60:02d}.000Z"
            store.mark_synced(ids, at=at)
            say(f"M {at} {','.join(ids)}")
        if n % 25 == 24:
            store.compact()
            say("C")
        time.sleep(0.002)
    store.close()


def run_fill(args: argparse.Namespace) -> None:
    """Save until the disk is "full": RLIMIT_FSIZE makes writes past a size fail with EFBIG."""
    import resource
    import signal

    from kiosk.store import StoreWriteError

    store = RecordStore(args.data_dir)
    log = sorted((Path(args.data_dir) / "store").glob("log-*.jsonl"))[-1]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = log.stat().st_size + args.room
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    say("READY")
    failures = 0
    for counter in range(100_000):
        try:
            store.save(derived_record(args.round, counter), derived_contact(args.round, counter))
        except StoreWriteError as exc:
            say(f"E {exc}")
            failures += 1
            if failures == 3:
                break
            continue
        say(f"S {derived_id(args.round, counter)}")
    try:
        store.compact()
        say("C")
    except StoreWriteError as exc:
        say(f"CE {exc}")
    store.close()


def run_hold_lock(args: argparse.Namespace) -> None:
    """Hold the store's lock like a stuck process would."""
    store = RecordStore(args.data_dir)
    fd = os.open(Path(args.data_dir) / "store" / "lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    say("LOCKED")
    time.sleep(args.seconds)
    released_at = time.time()
    os.close(fd)
    say(f"RELEASED {released_at!r}")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    save = sub.add_parser("save")
    save.add_argument("data_dir")
    save.add_argument("round", type=int)
    save.add_argument("--compact-min-bytes", type=int, default=None)
    save.add_argument("--count", type=int, default=1_000_000)
    save.add_argument("--go", default=None)
    mark = sub.add_parser("mark")
    mark.add_argument("data_dir")
    mark.add_argument("--count", type=int, default=200)
    mark.add_argument("--go", default=None)
    fill = sub.add_parser("fill")
    fill.add_argument("data_dir")
    fill.add_argument("round", type=int)
    fill.add_argument("--room", type=int, default=20_000)
    hold = sub.add_parser("hold-lock")
    hold.add_argument("data_dir")
    hold.add_argument("seconds", type=float)
    args = parser.parse_args()
    modes = {"save": run_save, "mark": run_mark, "fill": run_fill, "hold-lock": run_hold_lock}
    modes[args.mode](args)


if __name__ == "__main__":
    main()
