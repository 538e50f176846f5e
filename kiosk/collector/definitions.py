"""The collector's survey definitions: one row per survey hash, written once, never overwritten.

Kept apart from :mod:`kiosk.collector.storage` and working on a connection it is given
(the storage's, or a read-only one for the results), so the SQL of this table lives in
one small place. ``body`` is the definition as canonical JSON; the hash is the kiosk's
``survey_hash`` of it (:func:`kiosk.survey.loader.definition_hash`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Literal

from kiosk.collector.storage import CollectorBusy
from kiosk.records import now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS surveys (
    hash TEXT PRIMARY KEY,
    survey_id TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
"""

Outcome = Literal["accepted", "duplicate", "conflict"]


def create_table(conn: sqlite3.Connection) -> None:
    """Make the table when missing (a database of a collector from before definitions)."""
    conn.executescript(SCHEMA)


def put_definition(conn: sqlite3.Connection, digest: str, survey_id: str, body: str) -> Outcome:
    """Store ``body`` under ``digest`` unless a row is there; never overwrites one.

    ``duplicate`` when the same body is stored, ``conflict`` when another one is (the
    stored one is kept). Raises :class:`CollectorBusy` when the database stays locked.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT body FROM surveys WHERE hash = ?", (digest,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO surveys (hash, survey_id, body, received_at) VALUES (?, ?, ?, ?)",
                    (digest, survey_id, body, now_iso()),
                )
                outcome: Outcome = "accepted"
            else:
                outcome = "duplicate" if row[0] == body else "conflict"
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise CollectorBusy(str(exc)) from exc
        raise
    return outcome


def iter_definitions(conn: sqlite3.Connection) -> Iterator[tuple[str, str]]:
    """(hash, body) of every stored definition; none from a database without the table."""
    try:
        rows = conn.execute("SELECT hash, body FROM surveys ORDER BY received_at, hash").fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return
        raise
    yield from rows
