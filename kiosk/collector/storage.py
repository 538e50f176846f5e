"""The collector's records: one row per record id, never overwritten, in SQLite or PostgreSQL.

A batch is committed before the HTTP reply leaves, so a kiosk is only ever told "stored" about
what is stored. The record id is the primary key, so a re-sent record can never be counted
twice; its content hash tells a harmless re-send (duplicate) from a different record under the
same id (conflict), which is refused and never overwrites. Insert and compare run in one
transaction: two workers storing the same id at once see one insert win and compare against it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.collector.database import (
    CollectorBusy,
    Database,
    DatabaseNewer,
    SQLiteDatabase,
    Transaction,
    newer_message,
    open_database,
)
from kiosk.collector.migrations import LATEST
from kiosk.records import now_iso
from kiosk.sync.protocol import RecordResult, canonical_json, ids_digest

__all__ = ["CollectorBusy", "CollectorStorage", "DatabaseNewer", "Digest", "Row", "prepare_row"]

_CONFLICT = "another record with this id is already stored; the stored one is kept"


#: A record as stored: (id, kiosk_id, survey_id, content_hash, body, received_at).
Row = tuple[str, str, str, str, str, str]


def prepare_row(record_id: str, record: dict[str, Any], received_at: str) -> Row:
    """The row a valid record is stored as; its body is serialised once, here, and the
    content hash is the sha256 of that very text.

    Raises UnicodeEncodeError for text that is not valid Unicode (a lone surrogate).
    """
    body = canonical_json(record)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return (record_id, record["kiosk_id"], record["survey_id"], digest, body, received_at)


@dataclass(frozen=True)
class Digest:
    kiosk_id: str
    count: int
    sha256: str
    #: Data directories (store ids) seen sending under this kiosk id; more than one is a clash.
    stores: int = 0


class CollectorStorage:
    """The records and kiosk_stores tables over either database; thread-safe.

    ``target`` is a SQLite file path (created when missing) or a ``postgresql://`` URL.
    Opening applies missing migrations (``migrate=True``) or only checks the version (also with
    ``readonly``, for commands that must never write); either way a database newer than this
    code raises :class:`DatabaseNewer`.
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | Database,
        *,
        migrate: bool = True,
        readonly: bool = False,
        pool_size: int = 20,
    ) -> None:
        if isinstance(target, Database):
            self.db = target
        else:
            self.db = open_database(target, pool_size=pool_size, readonly=readonly)
        try:
            if migrate and not readonly:
                self.db.migrate()
            else:
                version = self.db.schema_version()
                if version > LATEST:
                    raise DatabaseNewer(newer_message(version))
        except BaseException:
            self.db.close()
            raise

    @property
    def path(self) -> Any:
        """The SQLite file (None on PostgreSQL)."""
        return self.db.path if isinstance(self.db, SQLiteDatabase) else None

    def close(self) -> None:
        self.db.close()

    def store_batch(self, records: Sequence[tuple[str, dict[str, Any]]]) -> list[RecordResult]:
        """Store valid records in one transaction, committed before this returns.

        ``records`` are (id, public record) pairs already checked against the schema.
        Raises :class:`CollectorBusy` when the database cannot take them now.
        """
        now = now_iso()
        return self.store_prepared([prepare_row(rid, record, now) for rid, record in records])

    def store_prepared(self, rows: Sequence[Row]) -> list[RecordResult]:
        """:meth:`store_batch` for rows made by :func:`prepare_row` (the web layer makes them
        while it checks each record, so a body is serialised once)."""
        return [
            RecordResult(row[0], status, _CONFLICT if status == "conflict" else None)
            for row, status in zip(rows, self.store_rows(rows), strict=True)
        ]

    def store_rows(self, rows: Sequence[Row]) -> list[str]:
        """Store rows (id, kiosk_id, survey_id, content_hash, body, received_at) in one
        transaction; "accepted", "duplicate" or "conflict" for each, in order.

        ``kiosk collector import`` copies rows through here, received_at and all.
        """
        with self.db.transaction() as tx:
            inserted = self._insert_new(tx, rows)
            others = sorted({row[0] for row in rows} - inserted)
            stored: dict[str, str] = {}
            for start in range(0, len(others), 500):
                chunk = others[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                for record_id, digest in tx.execute(
                    f"SELECT id, content_hash FROM records WHERE id IN ({marks})", chunk
                ):
                    stored[record_id] = digest
        outcomes: list[str] = []
        for record_id, _kiosk, _survey, digest, _body, _at in rows:
            if record_id in inserted:
                inserted.discard(record_id)  # a second copy in the same batch is a re-send
                outcomes.append("accepted")
            elif stored.get(record_id, digest) == digest:
                outcomes.append("duplicate")
            else:
                outcomes.append("conflict")
            stored.setdefault(record_id, digest)
        return outcomes

    def _insert_new(self, tx: Transaction, rows: Sequence[tuple[str, ...]]) -> set[str]:
        """Insert the rows whose id is not stored yet (the first of an id within the batch);
        the ids inserted."""
        first: dict[str, tuple[str, ...]] = {}
        for row in rows:
            first.setdefault(row[0], row)
        if not first:
            return set()
        if self.db.dialect == "postgresql":  # one statement for the whole batch
            columns = list(zip(*first.values(), strict=True))
            found = tx.execute(
                "INSERT INTO records (id, kiosk_id, survey_id, content_hash, body, received_at) "
                # %b: binary arrays, so 500 JSON bodies are not escaped into an array literal
                "SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], "
                "%b::text[], %b::text[]) ON CONFLICT (id) DO NOTHING RETURNING id",
                [list(column) for column in columns],
            )
            return {row[0] for row in found}
        # SQLite: one multi-row statement a chunk (a statement a row was twice the time);
        # 150 rows x 6 values stay under the 999 variables of older SQLite builds
        inserted: set[str] = set()
        pending = list(first.values())
        for start in range(0, len(pending), 150):
            chunk = pending[start : start + 150]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            found = tx.execute(
                "INSERT INTO records (id, kiosk_id, survey_id, content_hash, body, received_at) "
                f"VALUES {values} ON CONFLICT (id) DO NOTHING RETURNING id",
                [value for row in chunk for value in row],
            )
            inserted.update(row[0] for row in found)
        return inserted

    def digest(self, kiosk_id: str) -> Digest:
        rows = self.db.query("SELECT id FROM records WHERE kiosk_id = %s", (kiosk_id,))
        ids = [row[0] for row in rows]
        return Digest(kiosk_id, len(ids), ids_digest(ids), len(self.stores_of(kiosk_id)))

    def note_store(self, kiosk_id: str, store_id: str) -> list[str]:
        """Remember that ``store_id`` sends as ``kiosk_id``; every store id seen under it.

        Two data directories under one kiosk id (a copied config, ``kiosk-1`` twice) make the
        kiosk's digest count the other's records too: the reply names that cause.
        """
        now = now_iso()
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO kiosk_stores (kiosk_id, store_id, first_seen, last_seen) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (kiosk_id, store_id) "
                "DO UPDATE SET last_seen = excluded.last_seen",
                (kiosk_id, store_id, now, now),
            )
        return self.stores_of(kiosk_id)

    def stores_of(self, kiosk_id: str) -> list[str]:
        """Store ids seen under ``kiosk_id``, the first seen first."""
        rows = self.db.query(
            "SELECT store_id FROM kiosk_stores WHERE kiosk_id = %s ORDER BY first_seen, store_id",
            (kiosk_id,),
        )
        return [row[0] for row in rows]

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM records")[0][0])

    def iter_records(self, survey_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored record in the order it arrived."""
        for body in self.iter_bodies(survey_id):
            yield json.loads(body)

    def iter_bodies(self, survey_id: str | None = None) -> Iterator[str]:
        """Every stored record's JSON text in the order it arrived (for readers that
        leave out, rather than stop at, a body that does not parse)."""
        order = "seq" if self.db.dialect == "postgresql" else "rowid"
        sql = "SELECT body FROM records"
        args: tuple[str, ...] = ()
        if survey_id is not None:
            sql += " WHERE survey_id = %s"
            args = (survey_id,)
        for (body,) in self.db.query(f"{sql} ORDER BY {order}", args):
            yield body
