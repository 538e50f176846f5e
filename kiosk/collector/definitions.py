"""The collector's survey definitions: one row per survey hash, written once, never overwritten.

Kept apart from :mod:`kiosk.collector.storage` and working on the :class:`Database` it is
given (the storage's, or a read-only one for the results), so the SQL of this table lives in
one small place; the table itself is migration 2 (:mod:`kiosk.collector.migrations`). ``body``
is the definition as canonical JSON; the hash is the kiosk's ``survey_hash`` of it
(:func:`kiosk.survey.loader.definition_hash`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from kiosk.collector.database import Database
from kiosk.records import now_iso

#: The schema version that made the table (:mod:`kiosk.collector.migrations`).
DEFINITIONS_VERSION = 2

Outcome = Literal["accepted", "duplicate", "conflict"]


def put_definition(db: Database, digest: str, survey_id: str, body: str) -> Outcome:
    """Store ``body`` under ``digest`` unless a row is there; never overwrites one.

    ``duplicate`` when the same body is stored, ``conflict`` when another one is (the
    stored one is kept). The insert-if-absent and the compare run in one transaction, so two
    workers sending the same hash at once see one insert win. Raises
    :class:`~kiosk.collector.database.CollectorBusy` when the database cannot answer now.
    """
    with db.transaction() as tx:
        made = tx.execute(
            "INSERT INTO surveys (hash, survey_id, body, received_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (hash) DO NOTHING RETURNING hash",
            (digest, survey_id, body, now_iso()),
        )
        if made:
            return "accepted"
        stored = tx.execute("SELECT body FROM surveys WHERE hash = %s", (digest,))
    return "duplicate" if stored and stored[0][0] == body else "conflict"


def iter_definitions(db: Database) -> Iterator[tuple[str, str]]:
    """(hash, body) of every stored definition, oldest first."""
    yield from db.query("SELECT hash, body FROM surveys ORDER BY received_at, hash")


def definitions_count(db: Database) -> int:
    """How many definitions are stored (a cheap check whether new ones arrived)."""
    return int(db.query("SELECT count(*) FROM surveys")[0][0])
