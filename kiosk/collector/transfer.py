"""``kiosk collector import``: an event's SQLite collector copied into another collector database
(PostgreSQL, usually), idempotently, the source opened read-only.

Records keep their id, content hash, body and arrival time, and arrive in their source order.
A record already in the target with the same content counts as "already there"; one with the
same id but other content is a conflict: reported, and the target's kept (as at the collector).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

from kiosk.collector.database import Database, SQLiteDatabase
from kiosk.collector.storage import CollectorStorage

CHUNK = 1000


@dataclass(frozen=True)
class TableCopy:
    """A table copied row by row, rows already in the target (by ``key``) left as they are."""

    table: str
    columns: tuple[str, ...]
    #: The unique key that tells a row is there; empty: a row is there when every column
    #: matches (a history row, whose own id the target numbers anew).
    key: tuple[str, ...]
    #: Flags SQLite keeps as 0/1 and PostgreSQL as BOOLEAN.
    booleans: tuple[str, ...] = ()


#: Tables besides records that an import carries over; a table module adds its own here
#: (docs/collector.md, "Adding a table").
COPIES: tuple[TableCopy, ...] = (
    TableCopy("kiosk_stores", ("kiosk_id", "store_id", "first_seen", "last_seen"),
              ("kiosk_id", "store_id")),
    TableCopy("surveys", ("hash", "survey_id", "body", "received_at"), ("hash",)),
    # the web side (migration 3): accounts keep their password hashes; sessions, sign-in
    # secrets and kiosk statuses stay behind (signing in again at the new collector is safe)
    TableCopy("web_accounts", ("name", "role", "password_hash", "created_at", "failed_signins",
                               "locked_until"), ("name",)),
    TableCopy("web_ideas", ("record_id", "status", "answer_da", "answer_en", "hidden",
                            "on_board", "updated_at", "updated_by"), ("record_id",),
              booleans=("hidden", "on_board")),
    TableCopy("web_idea_history", ("record_id", "at", "account", "field", "old", "new"), ()),
)  # fmt: skip


def import_sqlite(
    source: str | os.PathLike[str], target: CollectorStorage
) -> dict[str, Counter[str]]:
    """Copy ``source`` (a SQLite collector file, never written) into ``target``.

    Per table, how many rows were "imported", "already there" or "conflict" (records only).
    """
    src = SQLiteDatabase(source, readonly=True)
    try:
        tables = {
            row[0] for row in src.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "records" not in tables:
            raise ValueError(f"{source} holds no collector records table")
        counts: dict[str, Counter[str]] = {"records": Counter()}
        last = 0
        while True:
            chunk = src.query(
                "SELECT rowid, id, kiosk_id, survey_id, content_hash, body, received_at "
                "FROM records WHERE rowid > %s ORDER BY rowid LIMIT %s",
                (last, CHUNK),
            )
            if not chunk:
                break
            last = chunk[-1][0]
            statuses = target.store_rows([tuple(row[1:]) for row in chunk])
            counts["records"].update(
                {"accepted": "imported", "duplicate": "already there"}.get(s, s) for s in statuses
            )
        for copy in COPIES:
            if copy.table in tables:
                counts[copy.table] = _copy_table(src, target.db, copy)
        return counts
    finally:
        src.close()


def _copy_table(src: Database, target: Database, copy: TableCopy) -> Counter[str]:
    names = ", ".join(copy.columns)
    marks = ", ".join(["%s"] * len(copy.columns))
    flags = [i for i, name in enumerate(copy.columns) if name in copy.booleans]
    if copy.key:
        sql = (
            f"INSERT INTO {copy.table} ({names}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(copy.key)}) DO NOTHING RETURNING 1"
        )
    else:  # no key: the row is there when one has the same value (NULL too) in every column
        same = " AND ".join(f"{name} IS NOT DISTINCT FROM %s" for name in copy.columns)
        sql = (
            f"INSERT INTO {copy.table} ({names}) SELECT {marks} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {copy.table} WHERE {same}) RETURNING 1"
        )
    counts: Counter[str] = Counter()
    rows = src.query(f"SELECT {names} FROM {copy.table} ORDER BY rowid")
    for start in range(0, len(rows), CHUNK):
        with target.transaction() as tx:
            for row in rows[start : start + CHUNK]:
                values = [bool(v) if i in flags else v for i, v in enumerate(row)]
                done = tx.execute(sql, values if copy.key else values + values)
                counts["imported" if done else "already there"] += 1
    return counts
