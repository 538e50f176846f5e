"""The collector on PostgreSQL: schema versions, workers, import from an event's SQLite file,
the same export from either database, and a PostgreSQL restart under fifty syncing kiosks.

The rest of the collector's suite runs on both databases through ``shared_collector``
(tests/conftest.py); this file holds what only PostgreSQL, or moving between the two, has.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from helpers.collector import (
    BACKENDS,
    TOKEN,
    CollectorProcess,
    assert_invariants,
    fast_client,
    fill,
    kiosk_record,
)
from helpers.pg_server import PostgresServer
from kiosk.collector.migrations import LATEST
from kiosk.collector.storage import CollectorStorage
from kiosk.store import RecordStore
from kiosk.sync.client import RetryPolicy
from kiosk.sync.protocol import ids_digest
from kiosk.sync.runner import sync_store

pytestmark = pytest.mark.timeout(300)


def kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def target(backend: str, tmp_path: Path, server: PostgresServer) -> str:
    return server.new_database() if backend == "postgresql" else str(tmp_path / "c.db")


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrate_brings_a_new_database_to_the_latest_version_once(
    backend: str, tmp_path: Path, pg_server: PostgresServer
) -> None:
    db = target(backend, tmp_path, pg_server)
    if backend == "sqlite":  # a look at a file that is not there creates nothing
        missing = kiosk("collector", "migrate", "--check", "--db", db)
        assert missing.returncode == 2 and "no such database file" in missing.stderr
        assert not Path(db).exists()
        Path(db).touch()  # an empty file is an empty SQLite database
    check = kiosk("collector", "migrate", "--check", "--db", db)
    assert check.returncode == 1 and f"schema version 0; this collector knows {LATEST}" in (
        check.stdout
    )
    first = kiosk("collector", "migrate", "--db", db)
    assert first.returncode == 0, first.stderr
    assert f"schema version 0 -> {LATEST}" in first.stdout
    again = kiosk("collector", "migrate", "--db", db)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert kiosk("collector", "migrate", "--check", "--db", db).returncode == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_newer_than_the_code_is_refused_and_left_alone(
    backend: str, tmp_path: Path, pg_server: PostgresServer, token_file: Path
) -> None:
    db = target(backend, tmp_path, pg_server)
    CollectorStorage(db).close()
    newer = LATEST + 1
    if backend == "postgresql":
        with psycopg.connect(db) as conn:
            conn.execute(
                "INSERT INTO schema_migrations VALUES (%s, 'from the future', 'x')", (newer,)
            )
    else:
        with sqlite3.connect(db) as conn:
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, 'from the future', 'x')", (newer,)
            )
        conn.close()
    serve = kiosk("collector", "serve", "--db", db, "--port", "0", "--token-file", str(token_file))
    assert serve.returncode == 2, serve.stdout + serve.stderr
    assert f"schema version {newer}, newer than this collector knows" in serve.stderr
    assert "Traceback" not in serve.stderr
    for command in (["migrate"], ["migrate", "--check"], ["export"]):
        run = kiosk("collector", *command, "--db", db)
        assert run.returncode == 2 and "newer than this collector" in run.stderr, command
    if backend == "postgresql":
        with psycopg.connect(db) as conn:
            versions = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    else:
        with sqlite3.connect(db) as conn:
            versions = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        conn.close()
    assert versions == (newer,)


def test_a_database_made_before_versions_takes_version_one(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # the collector's tables as they were before migrations
        conn.executescript(
            "CREATE TABLE records (id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, "
            "survey_id TEXT NOT NULL, content_hash TEXT NOT NULL, body TEXT NOT NULL, "
            "received_at TEXT NOT NULL);"
        )
        conn.execute("INSERT INTO records VALUES ('r1', 'k', 's', 'h', '{}', 't')")
    conn.close()
    run = kiosk("collector", "migrate", "--db", str(db))
    assert run.returncode == 0 and f"schema version 0 -> {LATEST}" in run.stdout, run.stderr
    storage = CollectorStorage(db)
    assert storage.count() == 1 and storage.stores_of("k") == []
    storage.close()


def test_more_than_one_worker_on_sqlite_is_refused_with_the_reason(
    tmp_path: Path, token_file: Path
) -> None:
    run = kiosk("collector", "serve", "--db", str(tmp_path / "c.db"), "--workers", "4",
                "--token-file", str(token_file))  # fmt: skip
    assert run.returncode == 4
    assert "--workers 4 needs PostgreSQL" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "c.db").exists()


def test_an_unreachable_postgresql_is_one_clear_line(tmp_path: Path, token_file: Path) -> None:
    from helpers.collector import free_port

    url = f"postgresql://nobody:secret-pw@127.0.0.1:{free_port()}/kiosk"
    run = kiosk("collector", "serve", "--db", url, "--token-file", str(token_file))
    assert run.returncode == 2
    assert "cannot use the database postgresql://nobody@127.0.0.1" in run.stderr
    assert "secret-pw" not in run.stderr and "Traceback" not in run.stderr


def test_import_copies_an_event_once_never_touching_the_source_and_exports_the_same(
    tmp_path: Path, pg_server: PostgresServer
) -> None:
    source = tmp_path / "festival.db"
    records = [kiosk_record(f"stand-{n % 3}", n) for n in range(1200)]
    storage = CollectorStorage(source)
    storage.store_batch([(r["id"], r) for r in records])
    storage.note_store("stand-0", "a" * 32)
    storage.close()
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    db = pg_server.new_database()
    # the target already holds one record of the event, and another under a clashing id
    clash = dict(records[1], answers={"alder": 99})
    early = CollectorStorage(db)
    early.store_batch([(records[0]["id"], records[0]), (clash["id"], clash)])
    early.close()

    first = kiosk("collector", "import", "--from", str(source), "--db", db)
    assert first.returncode == 0, first.stderr
    assert "records: 1198 imported, 1 already there, 1 conflict" in first.stdout
    assert "kiosk_stores: 1 imported" in first.stdout
    assert "1 record(s)" in first.stderr and "target's records are kept" in first.stderr
    again = kiosk("collector", "import", "--from", str(source), "--db", db)
    assert again.returncode == 0
    assert "records: 1199 already there, 1 conflict" in again.stdout
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert not Path(f"{source}-wal").exists() and not Path(f"{source}-shm").exists()

    pg = CollectorStorage(db)
    lite = CollectorStorage(source, readonly=True)
    try:
        for kiosk_id in ("stand-0", "stand-1", "stand-2"):
            assert pg.digest(kiosk_id) == lite.digest(kiosk_id)
    finally:
        pg.close()
        lite.close()
    out_pg, out_lite = tmp_path / "pg.jsonl", tmp_path / "lite.jsonl"
    assert kiosk("collector", "export", "--db", db, "--out", str(out_pg)).returncode == 0
    assert kiosk("collector", "export", "--db", str(source), "--out", str(out_lite)).returncode == 0
    pg_lines, lite_lines = out_pg.read_text().splitlines(), out_lite.read_text().splitlines()
    assert len(pg_lines) == len(lite_lines) == 1200
    # the clashing record is the target's; every other line is the event's, in its order
    assert pg_lines[2:] == lite_lines[2:] and pg_lines[0] == lite_lines[0]
    assert pg_lines[1] != lite_lines[1] and '"alder": 99' in pg_lines[1]


def test_postgresql_restarted_while_fifty_kiosks_sync_loses_and_doubles_nothing(
    tmp_path: Path, pg_server: PostgresServer, token_file: Path
) -> None:
    kiosks = 50
    per_kiosk = 30
    dirs = [tmp_path / f"kiosk-{n:02d}" for n in range(kiosks)]
    for n, data in enumerate(dirs):
        fill(data, f"hal-{n:02d}", per_kiosk)
    collector = CollectorProcess(
        tmp_path / "pg.db", token_file, "--workers", "2", backend="postgresql"
    ).start()
    halfway = threading.Barrier(kiosks + 1)
    restarting = threading.Event()
    retry = RetryPolicy(max_attempts=8, base_delay=0.05, max_delay=0.5, max_retry_after=2)

    def sync_kiosk(data: Path) -> None:
        with RecordStore(data) as store, fast_client(collector.url, retry=retry) as client:
            sync_store(store, client, batch_size=3, max_batches=per_kiosk // 6)
            halfway.wait(120)  # every kiosk has sent half its records
            restarting.wait(120)
            sync_store(store, client, batch_size=3)  # the rest, across the restart

    try:
        with ThreadPoolExecutor(kiosks) as pool:
            running = [pool.submit(sync_kiosk, data) for data in dirs]
            halfway.wait(120)
            stored_before = len(collector.rows())
            ready = pg_server.log.read_text().count("ready to accept connections")
            restarting.set()
            pg_server.restart()  # while fifty kiosks send the second half
            assert pg_server.log.read_text().count("ready to accept connections") > ready
            for future in running:
                future.result(300)
        assert 0 < stored_before < kiosks * per_kiosk

        def verify(data: Path) -> subprocess.CompletedProcess[str]:
            args = ["--data", str(data), "--endpoint", collector.url, "--retry-delay", "0.01"]
            return kiosk("sync", *args, "--verify", env={"KIOSK_TOKEN": TOKEN})

        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(verify, dirs))
        for data, run in zip(dirs, runs, strict=True):
            assert run.returncode == 0, f"{data.name}: {run.stdout}{run.stderr}"
        assert_invariants(collector, *dirs)
        assert len(collector.rows()) == kiosks * per_kiosk
        with fast_client(collector.url) as client:
            for n, data in enumerate(dirs):
                with RecordStore(data) as store:
                    ids = [r["id"] for r in store.records()]
                assert client.digest(f"hal-{n:02d}")["sha256"] == ids_digest(ids)
    finally:
        collector.stop()
