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
    Migration(
        3,
        "the web side: kiosk status, accounts and sessions, idea statuses and their history "
        "(kiosk.collector.kiosk_status, .accounts, .ideas)",
        # the very statements those modules ran at start before versioning (CREATE ... IF NOT
        # EXISTS), so a version 2 file that already has the tables takes version 3 as it is
        sqlite="""
CREATE TABLE IF NOT EXISTS kiosk_status (
    kiosk_id TEXT PRIMARY KEY,
    store_id TEXT,
    pending INTEGER NOT NULL,
    records INTEGER,
    store_ok INTEGER NOT NULL,
    store_problems INTEGER NOT NULL,
    disk_free_bytes INTEGER,
    last_error TEXT,
    last_error_at TEXT,
    last_success_at TEXT,
    app_version TEXT NOT NULL,
    kiosk_clock TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kiosk_received ON records (kiosk_id, received_at);
CREATE INDEX IF NOT EXISTS records_survey_kiosk ON records (survey_id, kiosk_id);
CREATE INDEX IF NOT EXISTS records_started_kiosk
    ON records (substr(json_extract(body, '$.started_at'), 1, 19), kiosk_id);
CREATE TABLE IF NOT EXISTS web_accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('organiser', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    failed_signins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES web_accounts (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_account ON web_sessions (account);
CREATE TABLE IF NOT EXISTS web_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_ref ON records (json_extract(body, '$.ref'));
CREATE INDEX IF NOT EXISTS records_kind_time
    ON records (json_extract(body, '$.kind'), json_extract(body, '$.submitted_at'));
CREATE TABLE IF NOT EXISTS web_ideas (
    record_id TEXT PRIMARY KEY,
    status TEXT,
    answer_da TEXT NOT NULL DEFAULT '',
    answer_en TEXT NOT NULL DEFAULT '',
    hidden INTEGER NOT NULL DEFAULT 0,
    on_board INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT,
    updated_by TEXT
);
CREATE TABLE IF NOT EXISTS web_idea_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    at TEXT NOT NULL,
    account TEXT NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT
);
CREATE INDEX IF NOT EXISTS web_idea_history_record ON web_idea_history (record_id);
""",
        # counts that may pass 2**31 are BIGINT, flags BOOLEAN; the JSON field indexes are on
        # body::jsonb (text to jsonb is immutable), the expressions the queries use
        postgresql="""
CREATE TABLE IF NOT EXISTS kiosk_status (
    kiosk_id TEXT PRIMARY KEY,
    store_id TEXT,
    pending BIGINT NOT NULL,
    records BIGINT,
    store_ok BOOLEAN NOT NULL,
    store_problems BIGINT NOT NULL,
    disk_free_bytes BIGINT,
    last_error TEXT,
    last_error_at TEXT,
    last_success_at TEXT,
    app_version TEXT NOT NULL,
    kiosk_clock TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kiosk_received ON records (kiosk_id, received_at);
CREATE INDEX IF NOT EXISTS records_survey_kiosk ON records (survey_id, kiosk_id);
CREATE INDEX IF NOT EXISTS records_started_kiosk
    ON records ((substr(body::jsonb ->> 'started_at', 1, 19)), kiosk_id);
CREATE TABLE IF NOT EXISTS web_accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('organiser', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    failed_signins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES web_accounts (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_account ON web_sessions (account);
CREATE TABLE IF NOT EXISTS web_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_ref ON records ((body::jsonb ->> 'ref'));
CREATE INDEX IF NOT EXISTS records_kind_time
    ON records ((body::jsonb ->> 'kind'), (body::jsonb ->> 'submitted_at'));
CREATE TABLE IF NOT EXISTS web_ideas (
    record_id TEXT PRIMARY KEY,
    status TEXT,
    answer_da TEXT NOT NULL DEFAULT '',
    answer_en TEXT NOT NULL DEFAULT '',
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    on_board BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TEXT,
    updated_by TEXT
);
CREATE TABLE IF NOT EXISTS web_idea_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id TEXT NOT NULL,
    at TEXT NOT NULL,
    account TEXT NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT
);
CREATE INDEX IF NOT EXISTS web_idea_history_record ON web_idea_history (record_id);
""",
    ),
    Migration(
        4,
        "records_kiosk goes: records_kiosk_received (kiosk_id, received_at) answers every "
        "query by kiosk id, and each index is written on every record stored",
        sqlite="""
DROP INDEX IF EXISTS records_kiosk;
""",
        postgresql="""
DROP INDEX IF EXISTS records_kiosk;
""",
    ),
)

#: The newest schema this code knows.
LATEST = MIGRATIONS[-1].version

assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1)), "versions 1, 2, 3, ..."
