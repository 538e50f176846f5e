"""The collector under fifty kiosks syncing at once: SQLite with one worker against PostgreSQL
with one and four workers, in the same run.

    python benchmarks/bench_collector.py [--records 200000] [--kiosks 50] [--batch-size 500]
                                         [--arms sqlite-1,pg-1,pg-4] [--pg-url URL]

Each arm starts the real collector (``python -m kiosk collector serve``) on a free 127.0.0.1
port with a fresh database; fifty kiosk threads each send their records in batches over real
HTTP (one keep-alive connection each), retrying a 503 after its Retry-After as a kiosk does.
Per arm: records/s, p50/p99 per batch (a request answered 200), 503s and other errors, and the
checks: every kiosk's digest matches its ids, nothing lost, nothing doubled.

PostgreSQL: a throwaway server started like the tests do (tests/helpers/pg_server.py:
Debian's postgresql, initdb into a temporary folder), or ``--pg-url`` to an empty database
(each arm then drops and re-creates the records there: give a throwaway database).
Goals (issue 15): zero lost and doubled, every digest matching, p99 per 500-record batch under
1 s, PostgreSQL with four workers faster than SQLite with one (about 1.5x on two shared cores).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from kiosk.collector.admission import DEFAULT_MAX_CONCURRENT  # noqa: E402
from kiosk.records import new_record  # noqa: E402
from kiosk.sync.protocol import ids_digest  # noqa: E402

TOKEN = "bench-token-collector"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kiosk_batches(kiosk_id: str, count: int, batch_size: int) -> tuple[list[str], list[bytes]]:
    """A kiosk's record ids and its submissions, serialised before the clock starts."""
    template = new_record(
        kind="response",
        survey_id="gentofte-moedes",
        survey_version=1,
        survey_hash="a" * 64,
        kiosk_id=kiosk_id,
        lang="da",
        started_at="2026-09-05T10:00:00.000Z",
        completed=True,
        answers={"tilknytning": "bor", "emner": ["klima", "kultur"], "alder": 40},
    )
    records = []
    for n in range(count):
        record = dict(template, id=str(uuid.uuid4()))
        record["answers"] = dict(template["answers"], alder=n % 90)
        records.append(record)
    bodies = [
        json.dumps({"kiosk_id": kiosk_id, "records": records[i : i + batch_size]}).encode()
        for i in range(0, count, batch_size)
    ]
    return [r["id"] for r in records], bodies


@dataclass
class ArmResult:
    name: str
    records: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    #: From a batch's first attempt to its 200, waits after 503s included.
    spans: list[float] = field(default_factory=list)
    busy: int = 0
    errors: int = 0
    accepted: int = 0
    duplicates: int = 0
    lost: int = 0
    doubled: int = 0
    digests_ok: int = 0
    unfinished: int = 0

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def pct(self, q: float, spans: bool = False) -> float:
        values = self.spans if spans else self.latencies
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Kiosk(threading.Thread):
    """One simulated kiosk: its batches, one after the other, each until answered 200."""

    def __init__(self, port: int, kiosk_id: str, bodies: list[bytes], deadline: float) -> None:
        super().__init__(daemon=True)
        self.port, self.kiosk_id, self.bodies, self.deadline = port, kiosk_id, bodies, deadline
        self.latencies: list[float] = []
        self.spans: list[float] = []
        self.busy = self.errors = self.accepted = self.duplicates = 0
        self.done = False

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        for body in self.bodies:
            first = time.perf_counter()
            while time.monotonic() < self.deadline:
                started = time.perf_counter()
                try:
                    conn.request("POST", "/v1/submissions", body, headers)
                    reply = conn.getresponse()
                    data = reply.read()
                except (OSError, http.client.HTTPException):
                    self.errors += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    time.sleep(0.2)
                    continue
                if reply.status == 200:
                    self.latencies.append(time.perf_counter() - started)
                    self.spans.append(time.perf_counter() - first)
                    for result in json.loads(data)["results"]:
                        if result["status"] == "accepted":
                            self.accepted += 1
                        elif result["status"] == "duplicate":
                            self.duplicates += 1
                    break
                if reply.status == 503:
                    self.busy += 1
                    time.sleep(float(reply.getheader("Retry-After") or 1))
                else:
                    self.errors += 1
                    time.sleep(0.2)
            else:
                conn.close()
                return
        conn.close()
        self.done = True


def start_collector(
    db: str, workers: int, base: Path, name: str, max_concurrent: int
) -> tuple[subprocess.Popen, int]:
    token_file = base / "token"
    token_file.write_text(TOKEN)
    port = free_port()
    log = open(base / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "collector", "serve", "--db", db, "--port", str(port),
         "--token-file", str(token_file), "--workers", str(workers),
         "--max-concurrent", str(max_concurrent)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the collector ({name}) exited; see {base / (name + '.log')}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the collector ({name}) did not start")


def digest(port: int, kiosk_id: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "GET", f"/v1/kiosks/{kiosk_id}/digest", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    reply = conn.getresponse()
    return json.loads(reply.read())


def run_arm(
    name: str,
    db: str,
    workers: int,
    kiosks: dict[str, tuple[list[str], list[bytes]]],
    base: Path,
    time_box: float,
    max_concurrent: int,
) -> ArmResult:
    from kiosk.collector.storage import CollectorStorage

    result = ArmResult(name)
    proc, port = start_collector(db, workers, base, name, max_concurrent)
    try:
        deadline = time.monotonic() + time_box
        threads = [Kiosk(port, kid, bodies, deadline) for kid, (_ids, bodies) in kiosks.items()]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        result.seconds = time.perf_counter() - started
        expected = sum(len(ids) for ids, _b in kiosks.values())
        for thread in threads:
            result.latencies += thread.latencies
            result.spans += thread.spans
            result.busy += thread.busy
            result.errors += thread.errors
            result.accepted += thread.accepted
            result.duplicates += thread.duplicates
            result.unfinished += not thread.done
        result.records = result.accepted + result.duplicates
        stored = 0
        for kid, (ids, _bodies) in kiosks.items():
            found = digest(port, kid)
            stored += found["count"]
            result.digests_ok += found["sha256"] == ids_digest(ids)
        storage = CollectorStorage(db, readonly=True)
        try:
            total = storage.count()
            known = {i for ids, _b in kiosks.values() for i in ids}
            ids_there = [r["id"] for r in storage.iter_records()]
        finally:
            storage.close()
        result.lost = len(known - set(ids_there))
        result.doubled = (len(ids_there) - len(set(ids_there))) + len(set(ids_there) - known)
        assert total == len(ids_there) and stored <= total <= expected + result.doubled
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000, help="records in all")
    parser.add_argument("--kiosks", type=int, default=50, help="kiosks syncing at once")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--arms", default="sqlite-1,pg-1,pg-4", help="which arms, in order")
    parser.add_argument("--pg-url", help="an empty throwaway PostgreSQL database to use")
    parser.add_argument("--time-box", type=float, default=900, help="seconds per arm at most")
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=DEFAULT_MAX_CONCURRENT,
        help="collector's --max-concurrent (per worker): submissions in work at once (half as "
        "many more wait); the rest are told 503 + Retry-After, as a kiosk is. Default: the "
        "collector's own default, so the bench measures what a deployment gets",
    )
    args = parser.parse_args()
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    per_kiosk = args.records // args.kiosks
    print(f"generating {per_kiosk * args.kiosks} records for {args.kiosks} kiosks ...", flush=True)
    kiosks = {
        f"bench-{n:02d}": kiosk_batches(f"bench-{n:02d}", per_kiosk, args.batch_size)
        for n in range(args.kiosks)
    }
    server = None
    results: list[ArmResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-collector-") as tmp:
        base = Path(tmp)
        try:
            for arm in arms:
                backend, _, workers = arm.partition("-")
                if backend == "sqlite":
                    db = str(base / f"{arm}.db")
                else:
                    if args.pg_url:
                        db = args.pg_url
                        _empty(db)
                    else:
                        if server is None:
                            from helpers.pg_server import PostgresServer

                            print("starting a throwaway PostgreSQL server ...", flush=True)
                            server = PostgresServer().start()
                        db = server.new_database("bench")
                print(f"arm {arm}: {args.kiosks} kiosks syncing ...", flush=True)
                results.append(
                    run_arm(
                        arm, db, int(workers or 1), kiosks, base, args.time_box, args.max_concurrent
                    )
                )
        finally:
            if server is not None:
                server.stop()
    return report(results, args)


def _empty(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS records, kiosk_stores, schema_migrations")


def report(results: list[ArmResult], args: argparse.Namespace) -> int:
    print(f"cores: {os.cpu_count()}; {args.kiosks} kiosks, batches of {args.batch_size}, "
          f"--max-concurrent {args.max_concurrent} a worker, clients and collector on the "
          "same machine")  # fmt: skip
    print("p50/p99: one answered request; p99 span: a batch's first try to its 200, "
          "waits after 503s included")  # fmt: skip
    head = (
        f"{'arm':<10}{'records':>9}{'seconds':>9}{'rec/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'p99 span':>10}{'503s':>7}{'errors':>8}{'lost':>6}{'doubled':>8}{'digests':>9}"
    )
    print(head)
    met = True
    for r in results:
        print(
            f"{r.name:<10}{r.records:>9}{r.seconds:>9.1f}{r.rate:>9.0f}{r.pct(0.5):>9.0f}"
            f"{r.pct(0.99):>9.0f}{r.pct(0.99, spans=True):>10.0f}{r.busy:>7}{r.errors:>8}"
            f"{r.lost:>6}{r.doubled:>8}"
            f"{r.digests_ok:>5}/{args.kiosks}"
        )
    for r in results:
        print(f"{r.name}: lost {r.lost} (goal <= 0); doubled {r.doubled} (goal <= 0); "
              f"digests not matching {args.kiosks - r.digests_ok} (goal <= 0); "
              f"p99 per batch {r.pct(0.99):.0f} ms (goal < 1000 ms)")  # fmt: skip
        met &= r.lost == 0 and r.doubled == 0 and r.digests_ok == args.kiosks
        met &= r.pct(0.99) < 1000 and r.unfinished == 0
    by_name = {r.name: r for r in results}
    if "sqlite-1" in by_name and "pg-4" in by_name and by_name["sqlite-1"].rate:
        ratio = by_name["pg-4"].rate / by_name["sqlite-1"].rate
        print(f"ratio PostgreSQL 4 workers / SQLite 1 worker: {ratio:.2f}x (goal >= 1.5x)")
        met &= ratio >= 1.5
    print("goals: " + ("met" if met else "NOT all met"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
