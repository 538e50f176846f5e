"""Migration 4 on both databases: a version 3 database with records loses the index
``records_kiosk`` (each index is written on every record stored), keeps its records, and a
kiosk's digest is still answered from an index (records_kiosk_received), not a full scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.collector import BACKENDS, kiosk_record
from helpers.pg_server import PostgresServer
from kiosk.collector.database import Database
from kiosk.collector.migrations import MIGRATIONS
from kiosk.collector.storage import CollectorStorage
from kiosk.sync.protocol import ids_digest

pytestmark = pytest.mark.timeout(120)


def index_names(db: Database) -> set[str]:
    if db.dialect == "postgresql":
        rows = db.query("SELECT indexname FROM pg_indexes WHERE tablename = 'records'")
    else:
        rows = db.query("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {row[0] for row in rows}


def digest_plan(db: Database) -> str:
    sql = "SELECT id FROM records WHERE kiosk_id = %s"
    if db.dialect == "postgresql":
        with db.transaction() as tx:
            tx.execute("SET LOCAL enable_seqscan = off")  # a small table: ask for the index
            rows = tx.execute(f"EXPLAIN {sql}", ("stand-1",))
    else:
        rows = db.query(f"EXPLAIN QUERY PLAN {sql}", ("stand-1",))
    return "\n".join(str(row) for row in rows)


@pytest.mark.parametrize("backend", BACKENDS)
def test_version_3_loses_records_kiosk_keeps_its_records_and_digest_uses_an_index(
    backend: str, tmp_path: Path, pg_server: PostgresServer
) -> None:
    target = pg_server.new_database() if backend == "postgresql" else str(tmp_path / "c.db")
    old = CollectorStorage(target, migrate=False)
    try:
        with old.db.transaction() as tx:  # the schema as version 3 left it
            old.db._version(tx)
            for migration in MIGRATIONS[:3]:
                for statement in migration.sql(old.db.dialect):
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO schema_migrations VALUES (%s, %s, '2026-09-01T00:00:00Z')",
                    (migration.version, migration.name),
                )
        records = [kiosk_record("stand-1", n) for n in range(5)]
        old.store_batch([(r["id"], r) for r in records])
        assert "records_kiosk" in index_names(old.db)
    finally:
        old.close()

    storage = CollectorStorage(target)  # opening migrates
    try:
        assert storage.db.schema_version() == 4
        names = index_names(storage.db)
        assert "records_kiosk" not in names and "records_kiosk_received" in names
        assert storage.count() == 5
        assert storage.digest("stand-1").sha256 == ids_digest([r["id"] for r in records])
        assert "records_kiosk_received" in digest_plan(storage.db)
    finally:
        storage.close()
