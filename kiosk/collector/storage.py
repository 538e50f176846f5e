"""The collector's SQLite store: one row per record id, never overwritten.

WAL with ``synchronous=FULL``: a batch is committed (and on disk) before the
HTTP reply leaves, so a kiosk is only ever told "stored" about what is stored.
The record id is the primary key, so a re-sent record can never be counted
twice; its content hash tells a harmless re-send (duplicate) from a different
record under the same id (conflict), which is refused and never overwrites.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.collector.kiosk_status import SCHEMA as KIOSK_STATUS_SCHEMA
from kiosk.records import now_iso
from kiosk.sync.protocol import RecordResult, canonical_json, content_hash, ids_digest

SCHEMA = """
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
"""


class CollectorBusy(Exception):
    """The database stayed locked past the busy timeout: the kiosk should retry later."""


@dataclass(frozen=True)
class Digest:
    kiosk_id: str
    count: int
    sha256: str
    #: Data directories (store ids) seen sending under this kiosk id; more than one is a clash.
    stores: int = 0


class CollectorStorage:
    """Thread-safe access to the collector database (one connection per thread)."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 2.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn()
        conn.executescript(SCHEMA)
        conn.executescript(KIOSK_STATUS_SCHEMA)  # the kiosks' status messages (overview)
        from kiosk.collector.accounts import ACCOUNTS_SCHEMA
        from kiosk.collector.ideas import IDEAS_SCHEMA

        conn.executescript(ACCOUNTS_SCHEMA + IDEAS_SCHEMA)  # the web side's own tables

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for the web side's own SQL modules (accounts, ideas)."""
        return self._conn()

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    def store_batch(self, records: Sequence[tuple[str, dict[str, Any]]]) -> list[RecordResult]:
        """Store valid records in one transaction, committed before this returns.

        ``records`` are (id, public record) pairs already checked against the schema.
        Raises :class:`CollectorBusy` when the database stays locked.
        """
        conn = self._conn()
        now = now_iso()
        outcomes: list[RecordResult] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for record_id, record in records:
                    digest = content_hash(record)
                    row = conn.execute(
                        "SELECT content_hash FROM records WHERE id = ?", (record_id,)
                    ).fetchone()
                    if row is None:
                        conn.execute(
                            "INSERT INTO records (id, kiosk_id, survey_id, content_hash, body, "
                            "received_at) VALUES (?, ?, ?, ?, ?, ?)",
                            (
                                record_id,
                                record["kiosk_id"],
                                record["survey_id"],
                                digest,
                                canonical_json(record),
                                now,
                            ),
                        )
                        outcomes.append(RecordResult(record_id, "accepted"))
                    elif row[0] == digest:
                        outcomes.append(RecordResult(record_id, "duplicate"))
                    else:
                        outcomes.append(
                            RecordResult(
                                record_id,
                                "conflict",
                                "another record with this id is already stored; "
                                "the stored one is kept",
                            )
                        )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise CollectorBusy(str(exc)) from exc
            raise
        return outcomes

    def digest(self, kiosk_id: str) -> Digest:
        rows = self._conn().execute("SELECT id FROM records WHERE kiosk_id = ?", (kiosk_id,))
        ids = [row[0] for row in rows]
        return Digest(kiosk_id, len(ids), ids_digest(ids), len(self.stores_of(kiosk_id)))

    def note_store(self, kiosk_id: str, store_id: str) -> list[str]:
        """Remember that ``store_id`` sends as ``kiosk_id``; every store id seen under it.

        Two data directories under one kiosk id (a copied config, ``kiosk-1`` twice) make the
        kiosk's digest count the other's records too: the reply names that cause.
        """
        conn = self._conn()
        now = now_iso()
        try:
            conn.execute(
                "INSERT INTO kiosk_stores (kiosk_id, store_id, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (kiosk_id, store_id) "
                "DO UPDATE SET last_seen = excluded.last_seen",
                (kiosk_id, store_id, now, now),
            )
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise CollectorBusy(str(exc)) from exc
            raise
        return self.stores_of(kiosk_id)

    def stores_of(self, kiosk_id: str) -> list[str]:
        """Store ids seen under ``kiosk_id``, the first seen first."""
        rows = self._conn().execute(
            "SELECT store_id FROM kiosk_stores WHERE kiosk_id = ? ORDER BY first_seen, store_id",
            (kiosk_id,),
        )
        return [row[0] for row in rows]

    def count(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM records").fetchone()[0])

    def iter_records(self, survey_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored record in the order it arrived."""
        sql = "SELECT body FROM records"
        args: tuple[str, ...] = ()
        if survey_id is not None:
            sql += " WHERE survey_id = ?"
            args = (survey_id,)
        for (body,) in self._conn().execute(sql + " ORDER BY rowid", args):
            yield json.loads(body)
