"""Sync throughput over loopback: batches of 500 against one record per request, same run.

    python benchmarks/bench_sync.py [--records 20000] [--single 1000] [--batch-size 500]

Starts the real collector (``python -m kiosk collector serve``) on a free
127.0.0.1 port with a fresh database, fills a kiosk data directory, syncs it
with ``sync_store`` and prints records/s for both arms and their ratio. The
one-per-request arm is time-boxed: it sends ``--single`` records and reports
the rate (the whole 20,000 one by one would take minutes).
Goal (issue 5): all 20,000 in under 10 s, and at least 10x the one-per-request rate.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from kiosk.records import new_record
from kiosk.store import RecordStore
from kiosk.sync.client import SyncClient
from kiosk.sync.runner import sync_store

TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_collector(base: Path) -> tuple[subprocess.Popen[bytes], str]:
    token_file = base / "token"
    token_file.write_text(TOKEN)
    port = free_port()
    log = open(base / "collector.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "collector", "serve", "--db", str(base / "c.db"),
         "--port", str(port), "--token-file", str(token_file)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/v1/health", timeout=1).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the collector did not start; see " + str(base / "collector.log"))


def fill(data_dir: Path, kiosk_id: str, count: int) -> None:
    with RecordStore(data_dir, durable=False) as store:
        for n in range(count):
            store.save(
                new_record(
                    kind="response",
                    survey_id="gentofte-moedes",
                    survey_version=1,
                    survey_hash="a" * 64,
                    kiosk_id=kiosk_id,
                    lang="da",
                    started_at="2026-09-05T10:00:00.000Z",
                    completed=True,
                    answers={"tilknytning": "bor", "emner": ["klima", "kultur"], "alder": n % 90},
                )
            )


def timed_sync(data_dir: Path, url: str, batch_size: int) -> tuple[int, float]:
    with RecordStore(data_dir) as store, SyncClient(url, TOKEN) as client:
        start = time.perf_counter()
        summary = sync_store(store, client, batch_size=batch_size)
        elapsed = time.perf_counter() - start
    if summary.error or summary.remaining:
        raise SystemExit(f"sync failed: {summary.error} ({summary.remaining} remaining)")
    return summary.synced, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=1_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        proc, url = start_collector(base)
        try:
            print(f"filling {args.records} + {args.single} records ...", flush=True)
            fill(base / "batched", "bench-batched", args.records)
            fill(base / "single", "bench-single", args.single)
            batched, batched_s = timed_sync(base / "batched", url, args.batch_size)
            single, single_s = timed_sync(base / "single", url, 1)
        finally:
            proc.terminate()
            proc.wait(10)
    batched_rate = batched / batched_s
    single_rate = single / single_s
    print(f"cores: {os.cpu_count()}, collector: uvicorn + SQLite WAL synchronous=FULL")
    print(f"{'arm':<28}{'records':>9}{'seconds':>10}{'records/s':>12}")
    print(f"{'batches of ' + str(args.batch_size):<28}{batched:>9}{batched_s:>10.2f}"
          f"{batched_rate:>12.0f}")  # fmt: skip
    print(f"{'one record per request':<28}{single:>9}{single_s:>10.2f}{single_rate:>12.0f}")
    print(f"ratio batched/single: {batched_rate / single_rate:.1f}x (goal >= 10x); "
          f"{args.records} batched in {batched_s:.1f} s (goal < 10 s)")  # fmt: skip
    met = {
        f"all {args.records} in under 10 s": batched_s < 10,
        "at least 10x one-per-request": batched_rate >= 10 * single_rate,
    }
    print("goals: " + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in met.items()))


if __name__ == "__main__":
    main()
