"""The web side's tables (migration 3) on both databases: a collector file made by the previous
schema (version 2, the web tables made at start by ``CREATE TABLE IF NOT EXISTS``) upgrades with
its rows intact, ``kiosk collector import`` carries accounts and ideas (not sessions), and
``kiosk collector user`` works on a PostgreSQL URL."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from argon2 import PasswordHasher
from click.testing import CliRunner

from helpers.pg_server import PostgresServer
from kiosk.cli import cli
from kiosk.collector.accounts import check_sign_in, secret_key, session_account, start_session
from kiosk.collector.ideas import get_idea, idea_history, list_ideas, lookup_ref, update_idea
from kiosk.collector.kiosk_status import latest_statuses
from kiosk.collector.migrations import LATEST, MIGRATIONS
from kiosk.collector.storage import CollectorStorage
from kiosk.collector.transfer import import_sqlite
from kiosk.records import new_record
from kiosk.sync.protocol import canonical_json

PASSWORD = "an old password"
TOKEN = "an-old-session-token"

#: The web tables exactly as kiosk_status, accounts and ideas made them at start before
#: they were migration 3 (integration at 910028b).
OLD_WEB_TABLES = """
CREATE TABLE IF NOT EXISTS kiosk_status (
    kiosk_id TEXT PRIMARY KEY, store_id TEXT, pending INTEGER NOT NULL, records INTEGER,
    store_ok INTEGER NOT NULL, store_problems INTEGER NOT NULL, disk_free_bytes INTEGER,
    last_error TEXT, last_error_at TEXT, last_success_at TEXT, app_version TEXT NOT NULL,
    kiosk_clock TEXT NOT NULL, received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kiosk_received ON records (kiosk_id, received_at);
CREATE INDEX IF NOT EXISTS records_survey_kiosk ON records (survey_id, kiosk_id);
CREATE INDEX IF NOT EXISTS records_started_kiosk
    ON records (substr(json_extract(body, '$.started_at'), 1, 19), kiosk_id);
CREATE TABLE IF NOT EXISTS web_accounts (
    name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('organiser', 'viewer')),
    password_hash TEXT NOT NULL, created_at TEXT NOT NULL,
    failed_signins INTEGER NOT NULL DEFAULT 0, locked_until TEXT
);
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES web_accounts (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_account ON web_sessions (account);
CREATE TABLE IF NOT EXISTS web_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_ref ON records (json_extract(body, '$.ref'));
CREATE INDEX IF NOT EXISTS records_kind_time
    ON records (json_extract(body, '$.kind'), json_extract(body, '$.submitted_at'));
CREATE TABLE IF NOT EXISTS web_ideas (
    record_id TEXT PRIMARY KEY, status TEXT, answer_da TEXT NOT NULL DEFAULT '',
    answer_en TEXT NOT NULL DEFAULT '', hidden INTEGER NOT NULL DEFAULT 0,
    on_board INTEGER NOT NULL DEFAULT 0, updated_at TEXT, updated_by TEXT
);
CREATE TABLE IF NOT EXISTS web_idea_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL, at TEXT NOT NULL,
    account TEXT NOT NULL, field TEXT NOT NULL, old TEXT, new TEXT
);
CREATE INDEX IF NOT EXISTS web_idea_history_record ON web_idea_history (record_id);
"""


def idea(ref: str, title: str) -> dict:
    return new_record(
        kind="idea",
        survey_id="gentofte-moedes",
        survey_version=1,
        survey_hash="a" * 64,
        kiosk_id="stand-1",
        lang="da",
        started_at="2026-09-05T10:00:00.000Z",
        submitted_at="2026-09-05T10:15:00.000Z",
        completed=True,
        answers={},
        ref=ref,
        idea={"theme": "kultur", "title": title, "description": ""},
    )


def old_collector_file(path: Path) -> list[dict]:
    """A collector file as the previous code left it: version 2, web tables, rows in each."""
    ideas = [idea("GM-AAAA", "Flere bænke"), idea("GM-BBBB", "Cykelsti")]
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:2]:
        for statement in migration.sql("sqlite"):
            conn.execute(statement)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    conn.executemany(
        "INSERT INTO schema_migrations VALUES (?, ?, '2026-09-01T00:00:00.000Z')",
        [(m.version, m.name) for m in MIGRATIONS[:2]],
    )
    conn.executescript(OLD_WEB_TABLES)
    for record in ideas:
        body = canonical_json(record)
        conn.execute(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?, '2026-09-05T10:16:00.000Z')",
            (record["id"], record["kiosk_id"], record["survey_id"],
             hashlib.sha256(body.encode()).hexdigest(), body),
        )  # fmt: skip
    conn.execute(
        "INSERT INTO web_accounts (name, role, password_hash, created_at, failed_signins) "
        "VALUES ('olga', 'organiser', ?, '2026-09-01T08:00:00+00:00', 2)",
        (PasswordHasher().hash(PASSWORD),),
    )
    conn.execute(
        "INSERT INTO web_sessions VALUES (?, 'olga', '2026-09-05T08:00:00+00:00', "
        "'2999-01-01T00:00:00+00:00')",
        (hashlib.sha256(TOKEN.encode()).hexdigest(),),
    )
    conn.execute("INSERT INTO web_settings VALUES ('secret_key', 'the-old-secret')")
    conn.execute(
        "INSERT INTO web_ideas VALUES (?, 'sendt_videre', 'Tak!', '', 0, 1, "
        "'2026-09-05T11:00:00.000Z', 'olga')",
        (ideas[0]["id"],),
    )
    conn.executemany(
        "INSERT INTO web_idea_history (record_id, at, account, field, old, new) "
        "VALUES (?, '2026-09-05T11:00:00.000Z', 'olga', ?, ?, ?)",
        [(ideas[0]["id"], "status", "modtaget", "sendt_videre"),
         (ideas[0]["id"], "on_board", "0", "1"),
         (ideas[0]["id"], "answer_da", "", "Tak!")],
    )  # fmt: skip
    conn.execute(
        "INSERT INTO kiosk_status VALUES ('stand-1', NULL, 3, 40, 1, 0, 123456789, "
        "'timeout', '2026-09-05T10:00:00Z', '2026-09-05T10:05:00Z', '0.1.0', "
        "'2026-09-05T10:05:00Z', '2026-09-05T10:05:01.000Z')"
    )
    conn.commit()
    conn.close()
    return ideas


def test_a_version_2_file_with_the_old_web_tables_upgrades_with_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    ideas = old_collector_file(db)
    migrated = CliRunner().invoke(cli, ["collector", "migrate", "--db", str(db)])
    assert migrated.exit_code == 0, migrated.output
    assert f"schema version 2 -> {LATEST}" in migrated.output
    storage = CollectorStorage(db)
    try:
        assert storage.db.schema_version() == LATEST >= 3
        assert storage.count() == 2
        assert session_account(storage, TOKEN).name == "olga"  # signed in before, still
        assert secret_key(storage) == "the-old-secret"  # so old cookies stay valid
        assert check_sign_in(storage, "olga", PASSWORD).account.is_organiser
        kept = get_idea(storage, ideas[0]["id"])
        assert (kept.status, kept.answer_da, kept.on_board, kept.hidden) == (
            "sendt_videre", "Tak!", True, False,
        )  # fmt: skip
        assert [c.field for c in idea_history(storage, ideas[0]["id"])] == [
            "answer_da", "on_board", "status",
        ]  # fmt: skip
        assert lookup_ref(storage, "GM-BBBB").idea.title == "Cykelsti"
        status = latest_statuses(storage)["stand-1"]
        assert (status.pending, status.records, status.store_ok, status.last_error) == (
            3, 40, True, "timeout",
        )  # fmt: skip
        # the upgraded file goes on: a new change is history row 4, after the old three
        update_idea(storage, ideas[1]["id"], "olga", status="gennemfoert")
        assert list_ideas(storage, status="gennemfoert")[1] == 1
        assert len(idea_history(storage, ideas[0]["id"])) == 3
    finally:
        storage.close()
    again = CliRunner().invoke(cli, ["collector", "migrate", "--db", str(db), "--check"])
    assert again.exit_code == 0, again.output


def test_import_carries_accounts_and_ideas_but_not_sessions(
    tmp_path: Path, pg_server: PostgresServer
) -> None:
    source = tmp_path / "event.db"
    ideas = old_collector_file(source)
    CollectorStorage(source).close()  # the event's collector ran the new code once
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    db = pg_server.new_database()
    target = CollectorStorage(db)
    try:
        first = import_sqlite(source, target)
        assert first["records"]["imported"] == 2
        assert first["web_accounts"]["imported"] == 1
        assert first["web_ideas"]["imported"] == 1
        assert first["web_idea_history"]["imported"] == 3
        assert "web_sessions" not in first and "kiosk_status" not in first
        again = import_sqlite(source, target)
        assert again["web_idea_history"] == {"already there": 3}
        assert again["web_accounts"] == {"already there": 1}
        assert hashlib.sha256(source.read_bytes()).hexdigest() == before

        assert check_sign_in(target, "olga", PASSWORD).account.is_organiser
        assert session_account(target, TOKEN) is None  # sign in again at the new collector
        kept = get_idea(target, ideas[0]["id"])
        assert (kept.status, kept.answer_da, kept.on_board, kept.hidden) == (
            "sendt_videre", "Tak!", True, False,
        )  # fmt: skip
        assert [c.field for c in idea_history(target, ideas[0]["id"])] == [
            "answer_da", "on_board", "status",
        ]  # fmt: skip
        token = start_session(target, check_sign_in(target, "olga", PASSWORD).account)
        assert session_account(target, token).name == "olga"
    finally:
        target.close()


def test_user_commands_work_on_a_postgresql_url(pg_server: PostgresServer) -> None:
    db = pg_server.new_database()
    secret = "correct horse battery"

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["collector", "user", *args, "--db", db], input=input)

    added = run("add", "anna", "--role", "viewer", input=f"{secret}\n{secret}\n")
    assert added.exit_code == 0 and "added viewer anna" in added.output, added.output
    assert "anna\tviewer" in run("list").output
    twice = run("add", "anna", input=f"{secret}\n{secret}\n")
    assert twice.exit_code != 0 and "exists already" in twice.output
    storage = CollectorStorage(db)
    try:
        assert check_sign_in(storage, "anna", secret).account.role == "viewer"
        stored = storage.db.query("SELECT password_hash FROM web_accounts")[0][0]
        assert stored.startswith("$argon2id$") and secret not in stored
    finally:
        storage.close()
    assert "removed anna" in run("remove", "anna").output
    gone = run("remove", "anna")
    assert gone.exit_code != 0 and "no account named 'anna'" in gone.output
    assert "no accounts yet" in run("list").output


def test_two_organisers_saving_one_idea_at_once_both_land_in_its_history(
    pg_server: PostgresServer,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    storage = CollectorStorage(pg_server.new_database())
    try:
        record = idea("GM-CCCC", "Legeplads")
        storage.store_batch([(record["id"], record)])
        answers = [f"svar {n}" for n in range(8)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(
                lambda text: update_idea(storage, record["id"], "olga", answer_da=text), answers
            ))  # fmt: skip
        history = list(reversed(idea_history(storage, record["id"])))
        assert sorted(c.new for c in history) == answers  # every save, once
        # each save compared with the one before it: the history is one unbroken chain
        assert [c.old for c in history] == ["", *[c.new for c in history[:-1]]]
        assert get_idea(storage, record["id"]).answer_da == history[-1].new
    finally:
        storage.close()
