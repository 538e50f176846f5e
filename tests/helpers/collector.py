"""Shared parts of the sync and collector tests: the real collector in a subprocess,
kiosk data directories full of records, and the invariants every scenario must keep.

The fixtures built on these (``token_file``, ``shared_collector``) are in tests/conftest.py.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import requests

from helpers.pg_server import postgres_server
from kiosk.records import new_record, public_view
from kiosk.store import RecordStore
from kiosk.sync.client import RetryPolicy, SyncClient
from kiosk.sync.protocol import canonical_json

TOKEN = "test-token-5c1e0f"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: The collector databases the suite runs against (shared_collector is parametrized on them).
BACKENDS = ("sqlite", "postgresql")


class CollectorProcess:
    """``python -m kiosk collector serve`` on 127.0.0.1, killable and restartable.

    ``backend="postgresql"``: a fresh database on the session's PostgreSQL server
    (tests/helpers/pg_server.py) instead of the SQLite file ``db``; its log stays beside ``db``.
    """

    def __init__(
        self,
        db: Path,
        token_file: Path,
        *extra: str,
        port: int | None = None,
        backend: str = "sqlite",
    ) -> None:
        self.backend = backend
        self.db: Path | str = db
        if backend == "postgresql":
            self.db = postgres_server().new_database()
        self.token_file = token_file
        self.extra = extra
        self.port = port or free_port()
        self.log = db.with_suffix(".log")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = "https" if "--ssl-certfile" in self.extra else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> CollectorProcess:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kiosk",
                    "collector",
                    "serve",
                    "--db",
                    str(self.db),
                    "--port",
                    str(self.port),
                    "--token-file",
                    str(self.token_file),
                    *self.extra,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"collector exited: {self.log.read_text()[-2000:]}")
            try:
                # readiness only: the tests check certificate verification themselves
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    health = requests.get(self.url + "/v1/health", timeout=1, verify=False)
                if health.status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("collector did not start in time")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def rows(self, kiosk_id: str | None = None) -> dict[str, str]:
        """id -> stored body, read straight from the database (WAL lets us read alongside)."""
        if self.backend == "postgresql":
            import psycopg

            sql, args = "SELECT id, body FROM records", ()
            if kiosk_id is not None:
                sql, args = sql + " WHERE kiosk_id = %s", (kiosk_id,)
            with psycopg.connect(str(self.db)) as pg:
                return dict(pg.execute(sql, args).fetchall())
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            sql, args = "SELECT id, body FROM records", ()
            if kiosk_id is not None:
                sql, args = sql + " WHERE kiosk_id = ?", (kiosk_id,)
            return dict(conn.execute(sql, args).fetchall())
        finally:
            conn.close()


class DatabaseHold:
    """Someone else holding the collector's database (a backup, a report, a migration):
    SQLite's write lock, or PostgreSQL's table lock against inserts."""

    def __init__(self, collector: CollectorProcess) -> None:
        self.released = False
        if collector.backend == "postgresql":
            import psycopg

            self.pg = psycopg.connect(str(collector.db))
            self.pg.execute("LOCK TABLE records IN EXCLUSIVE MODE")  # opens a transaction
            self.sqlite = None
        else:
            self.pg = None
            self.sqlite = sqlite3.connect(collector.db, isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        if self.pg is not None:
            self.pg.rollback()
            self.pg.close()
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()


def kiosk_record(kiosk_id: str, n: int, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "response",
        "survey_id": "gentofte-moedes",
        "survey_version": 1,
        "survey_hash": "a" * 64,
        "kiosk_id": kiosk_id,
        "lang": "da",
        "started_at": "2026-09-05T10:00:00.000Z",
        "completed": True,
        "answers": {"tilknytning": "bor", "emner": ["klima", "kultur"], "alder": n % 90},
    }
    fields.update(overrides)
    return new_record(**fields)


def fill(data_dir: Path, kiosk_id: str, count: int) -> list[str]:
    """Save ``count`` records into the kiosk data directory; their ids."""
    ids = []
    with RecordStore(data_dir, durable=False) as store:
        for n in range(count):
            record = kiosk_record(kiosk_id, n)
            store.save(record)
            ids.append(record["id"])
    return ids


def fast_client(endpoint: str, token: str = TOKEN, **kwargs: Any) -> SyncClient:
    """A client with tiny backoff so fault scenarios run in a blink."""
    retry = kwargs.pop(
        "retry", RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05, max_retry_after=2)
    )
    kwargs.setdefault("read_timeout", 10.0)
    kwargs.setdefault("connect_timeout", 2.0)
    return SyncClient(endpoint, token, retry=retry, **kwargs)


def assert_invariants(collector: CollectorProcess, *data_dirs: Path) -> None:
    """Every kiosk record is at the collector exactly once with identical content, and
    marked synced locally (or flagged with a reason); nothing is lost."""
    for data_dir in data_dirs:
        with RecordStore(data_dir) as store:
            records = store.records()
        assert records, f"no records in {data_dir}"
        kiosk_ids = {r["kiosk_id"] for r in records}
        stored: dict[str, str] = {}
        for kiosk_id in kiosk_ids:
            stored.update(collector.rows(kiosk_id))
        # an invalid record is refused and flagged; it is not at the collector
        local_ids = {r["id"] for r in records if r.get("sync_status") != "invalid"}
        # exactly once: the collector holds no id of these kiosks the kiosk does not have
        assert set(stored) == local_ids, (
            f"{len(local_ids - set(stored))} missing, {len(set(stored) - local_ids)} unknown"
        )
        for record in records:
            if record.get("sync_status") in ("conflict", "invalid"):
                assert record.get("sync_error"), "a flagged record must say why"
                continue
            assert record.get("synced_at"), f"{record['id']} not marked synced"
            assert stored[record["id"]] == canonical_json(public_view(record))
