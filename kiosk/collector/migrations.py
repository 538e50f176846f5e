"""Every schema change of the collector database, in order: the one place a table module adds its
tables (docs/collector.md, "Adding a table").

A migration is a version number, a name and its SQL for each database. The collector records
the versions it applied in ``schema_migrations``; ``kiosk collector migrate`` (and ``serve`` at
start) applies the missing ones in one transaction, and a collector refuses a database that
holds a version it does not know (a newer collector wrote it: running on would write rows the
newer code does not expect).

Why not alembic: it brings SQLAlchemy, an ``env.py`` and a migrations folder for what is here a
list of CREATE statements run through the same two connections the collector already has.
Rules: never edit a migration once merged (add a new one); statements are separated by ``;`` at
a line end; keep each idempotent (``IF NOT EXISTS``) so a database made before versioning, by
``CREATE TABLE IF NOT EXISTS`` at start, takes version 1 without a fuss.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sqlite: str
    postgresql: str

    def sql(self, dialect: str) -> list[str]:
        """The statements for ``dialect`` ("sqlite" or "postgresql"), one by one."""
        text = self.sqlite if dialect == "sqlite" else self.postgresql
        return [part.strip() for part in text.split(";\n") if part.strip().rstrip(";")]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "records and the data directories each kiosk id sends from",
        sqlite="""
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kiosk ON records (kiosk_id);
CREATE TABLE IF NOT EXISTS kiosk_stores (
    kiosk_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, store_id)
);
""",
        # seq keeps the arrival order SQLite's rowid gives; received_at stays text (ISO 8601
        # UTC) so both databases hold, export and import the very same values
        postgresql="""
CREATE TABLE IF NOT EXISTS records (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    kiosk_id TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kiosk ON records (kiosk_id);
CREATE UNIQUE INDEX IF NOT EXISTS records_seq ON records (seq);
CREATE TABLE IF NOT EXISTS kiosk_stores (
    kiosk_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, store_id)
);
""",
    ),
    Migration(
        2,
        "survey definitions the kiosks sent, by hash (kiosk.collector.definitions)",
        sqlite="""
CREATE TABLE IF NOT EXISTS surveys (
    hash TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
""",
        postgresql="""
CREATE TABLE IF NOT EXISTS surveys (
    hash TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
""",
    ),
)

#: The newest schema this code knows.
LATEST = MIGRATIONS[-1].version

assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1)), "versions 1, 2, 3, ..."
