"""The kiosk's local store of records and contact details, on TinyDB.

Records live in small TinyDB tables (``records.00000``, ``records.00001``, ...)
of :data:`SHARD_SIZE` documents each, so the work TinyDB does per save stays
the same however many visitors came before. Contact details, given only with
consent, live in tables of their own, linked to a record by its id alone.

Every method is a transaction of :class:`~kiosk.store.log_storage.LogStorage`:
safe from the kiosk's UI and its sync thread at once, and from another process
(``kiosk sync`` while the kiosk runs) on the same data directory.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.table import Document

from kiosk.records import REJECTED_STATUSES, now_iso
from kiosk.sanitize import forbidden_character
from kiosk.store.errors import RepairRefusedError, StoreError, StoreWriteError
from kiosk.store.log_storage import ID_FILE, STORE_ID, LogStorage

SHARD_SIZE = 128
RECORDS = "records"
CONTACTS = "contacts"

#: sync_status values for records the collector would not take.


@dataclass
class StoreHealth:
    """What the organiser screen and ``kiosk stats`` show about the store itself."""

    directory: Path
    records: int
    pending: int
    log_bytes: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class RepairResult:
    """What ``RecordStore.repair`` did: records kept, lines set aside, where the copy is."""

    records: int
    set_aside: int
    backup: Path | None


@dataclass
class SurveyCounts:
    completed: int = 0
    partial: int = 0
    synced: int = 0
    pending: int = 0
    rejected: int = 0
    suspect: int = 0

    @property
    def total(self) -> int:
        return self.completed + self.partial


class RecordStore:
    """Durable, crash-safe storage of visitors' records in a data directory."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        durable: bool = True,
        lock_timeout: float | None = None,
        compact_min_bytes: int | None = None,
        read_only: bool = False,
    ) -> None:
        """Open (or create) the store in ``data_dir``/store.

        ``read_only`` opens no file for writing (an export from a write-protected
        copy): nothing is created, repaired or moved; saving raises StoreWriteError.
        """
        self.data_dir = Path(data_dir)
        kwargs: dict[str, Any] = {"durable": durable, "read_only": read_only}
        if lock_timeout is not None:
            kwargs["lock_timeout"] = lock_timeout
        if compact_min_bytes is not None:
            kwargs["compact_min_bytes"] = compact_min_bytes
        self._storage = LogStorage(self.data_dir / "store", validate=_doc_problem, **kwargs)
        self._db = TinyDB(storage=_Passthrough, storage_obj=self._storage)
        self._where: dict[str, tuple[str, int]] = {}
        #: per records table: document id -> record id
        self._table_ids: dict[str, dict[str, str]] = {}
        self._pending: set[str] = set()
        self._refs: dict[str, set[str]] = {}
        self._compact_not_before = 0
        #: how many tables hold each ref, so has_ref does not walk every table
        self._ref_tables: Counter[str] = Counter()
        self._counts: dict[str, int] = {RECORDS: 0, CONTACTS: 0}
        #: per table: (number of documents, highest document id)
        self._table_sizes: dict[str, tuple[int, int]] = {}
        #: per kind: the highest document id in use, so a new one never collides
        self._last_id: dict[str, int] = {RECORDS: 0, CONTACTS: 0}
        with self._storage.transaction():
            self._reindex()

    # --- life cycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def store_id(self) -> str | None:
        """The store's id, written in every snapshot and log; None for a store made before
        ids until its first write."""
        return self._storage.store_id

    @property
    def read_only(self) -> bool:
        return self._storage.read_only

    # --- writing ------------------------------------------------------------------------

    def save(self, record: dict[str, Any], contact: dict[str, Any] | None = None) -> None:
        """Store a new record (and its contact details) durably before returning.

        Raises :class:`~kiosk.store.errors.StoreWriteError` when it could not be
        made durable, :class:`~kiosk.store.errors.StoreBusyError` when another
        process kept the store locked too long; then nothing was stored and what
        was stored before is intact.
        """
        if "id" not in record:
            raise ValueError("a record needs an 'id'")
        problem = _doc_problem(f"{RECORDS}.00000", record)
        if problem is not None:  # what reading would set aside is never written
            raise ValueError(f"not saved: {problem}")
        # A deep copy: the caller changing its dict later must not change what is stored.
        record = copy.deepcopy(record)
        with self._storage.transaction():
            self._after_write()  # another process may have saved since: fresh ids and counts
            if record["id"] in self._where:
                raise ValueError(f"record {record['id']} is already stored")
            if contact is not None:
                linked = {**copy.deepcopy(contact), "record_id": record["id"]}
                self._insert(CONTACTS, linked)
            self._insert(RECORDS, record)
            self._after_write()
        # The record is durable now; a failed compaction must not make the save look failed.
        log_bytes = self._storage.log_bytes
        if self._storage.needs_compaction() and log_bytes >= self._compact_not_before:
            try:
                self.compact()
            except StoreError as exc:
                self._storage.recovery.report(f"compaction failed, will retry later: {exc}")
                # not on every save: retry once the log has grown by another quarter
                self._compact_not_before = log_bytes + log_bytes // 4

    def mark_synced(self, record_ids: Iterable[str], at: str | None = None) -> int:
        """Mark records as received by the collector; returns how many changed."""
        stamp = at or now_iso()
        return self._update_many(
            record_ids, {"synced_at": stamp, "sync_status": None, "sync_error": None}
        )

    def mark_rejected(self, record_id: str, status: str, error: str) -> int:
        """Flag a record the collector refused (kept, never deleted, listed for organisers)."""
        if status not in REJECTED_STATUSES:
            raise ValueError(f"status must be one of {sorted(REJECTED_STATUSES)}")
        return self._update_many([record_id], {"sync_status": status, "sync_error": error})

    def compact(self) -> None:
        """Fold the log into a snapshot; safe at any time, used when the log grows large."""
        self._storage.compact()

    def repair(self, *, accept_loss: bool = False) -> RepairResult:
        """Set aside what the store holds that cannot be read, keeping a copy first.

        The intact state is written as a new generation; the old files go to a
        folder in ``damaged/``. Refused (RepairRefusedError, nothing changed)
        when lines or documents that may hold records would be set aside,
        unless ``accept_loss``.
        """
        if self.read_only:
            raise StoreWriteError("the store was opened read-only; nothing was repaired")
        with self._storage.transaction():
            self._after_write()
            damage = self._storage.damage
            log = f"log-{self._storage.generation:06d}.jsonl"
            if not damage:
                return RepairResult(records=self._counts[RECORDS], set_aside=0, backup=None)
            if damage.lost_lines and not accept_loss:
                raise RepairRefusedError(
                    f"repairing would leave fewer records: {damage.lost_lines} line(s) or "
                    f"document(s) of {log} cannot be read and would be set aside; the store was "
                    "not rewritten. To repair anyway: kiosk repair --accept-loss (a copy of the "
                    "store is kept in damaged/ first)"
                )
            backup = self._storage.back_up()
            set_aside = damage.lost_lines + len(damage.blank)
            self._storage.compact(repair=True)
            self._after_write()
            return RepairResult(records=self._counts[RECORDS], set_aside=set_aside, backup=backup)

    # --- reading ------------------------------------------------------------------------

    def get(self, record_id: str) -> dict[str, Any] | None:
        with self._storage.transaction():
            self._after_write()
            where = self._where.get(record_id)
            if where is None:
                return None
            doc = self._db.table(where[0]).get(doc_id=where[1])
            return _copy_doc(doc) if doc is not None else None

    def records(
        self, *, kind: str | None = None, survey_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every record (optionally of one kind or survey), in the order they were saved."""
        with self._storage.transaction():
            self._after_write()
            return [
                _copy_doc(doc)
                for doc in self._iter_docs(RECORDS)
                if (kind is None or doc.get("kind") == kind)
                and (survey_id is None or doc.get("survey_id") == survey_id)
            ]

    def contacts(self) -> dict[str, dict[str, Any]]:
        """Contact details by record id (only ever asked for with --include-contact)."""
        with self._storage.transaction():
            self._after_write()
            return {doc["record_id"]: _copy_doc(doc) for doc in self._iter_docs(CONTACTS)}

    def pending(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Records not yet synced and not rejected, oldest first."""
        with self._storage.transaction():
            self._after_write()
            ids = sorted(self._pending, key=lambda rid: self._where[rid])
            if limit is not None:
                ids = ids[:limit]
            return [self._doc(rid) for rid in ids]

    def pending_count(self) -> int:
        with self._storage.transaction():
            self._after_write()
            return len(self._pending)

    def has_ref(self, ref: str) -> bool:
        with self._storage.transaction():
            self._after_write()
            return self._ref_tables[ref] > 0

    def __len__(self) -> int:
        with self._storage.transaction():
            self._after_write()
            return self._counts[RECORDS]

    def counts(self) -> dict[tuple[str, str], SurveyCounts]:
        """Counts per (survey id, kind): completed, partial, synced, pending, rejected."""
        out: dict[tuple[str, str], SurveyCounts] = {}
        for doc in self.records():
            counts = out.setdefault(
                (doc.get("survey_id", "?"), doc.get("kind", "?")), SurveyCounts()
            )
            if doc.get("completed"):
                counts.completed += 1
            else:
                counts.partial += 1
            if doc.get("suspect"):
                counts.suspect += 1
            if doc.get("synced_at"):
                counts.synced += 1
            elif doc.get("sync_status") in REJECTED_STATUSES:
                counts.rejected += 1
            else:
                counts.pending += 1
        return out

    def health(self) -> StoreHealth:
        with self._storage.transaction():
            self._after_write()
            return StoreHealth(
                directory=self.data_dir,
                records=self._counts[RECORDS],
                pending=len(self._pending),
                log_bytes=self._storage.log_bytes,
                problems=list(self._storage.recovery.problems),
            )

    # --- internals ----------------------------------------------------------------------

    def _insert(self, kind: str, doc: dict[str, Any]) -> None:
        # Not the count: a line lost to damage leaves a gap, and ids must never collide.
        sequence = self._last_id[kind]
        table = f"{kind}.{sequence // SHARD_SIZE:05d}"
        self._db.table(table).insert(Document(doc, doc_id=sequence + 1))

    def _update_many(self, record_ids: Iterable[str], fields: dict[str, Any]) -> int:
        with self._storage.transaction():
            self._after_write()
            by_table: dict[str, list[int]] = {}
            for rid in record_ids:
                if rid in self._where:
                    table, doc_id = self._where[rid]
                    by_table.setdefault(table, []).append(doc_id)
            changed = 0
            for table, doc_ids in by_table.items():
                clean = {k: v for k, v in fields.items() if v is not None}
                drop = [k for k, v in fields.items() if v is None]

                def apply(
                    doc: dict[str, Any], clean: dict[str, Any] = clean, drop: list[str] = drop
                ) -> None:
                    doc.update(clean)
                    for key in drop:
                        doc.pop(key, None)

                changed += len(self._db.table(table).update(apply, doc_ids=doc_ids))
            self._after_write()
            return changed

    def _after_write(self) -> None:
        """Re-index the tables that changed (by this process or another one)."""
        if self._storage.changed:
            self._reindex()

    def _reindex(self) -> None:
        changed, self._storage.changed = self._storage.changed, {}
        data = self._storage.read()
        recount = False
        for table, doc_ids in changed.items():
            self._db.table(table).clear_cache()
            docs = data.get(table)
            full = doc_ids is None or docs is None
            if full:
                for rid in self._table_ids.pop(table, {}).values():
                    self._where.pop(rid, None)
                    self._pending.discard(rid)
                self._ref_tables.subtract(self._refs.pop(table, ()))
                doc_ids = set(docs or ())
            if table.startswith(RECORDS + ".") and docs is not None:
                self._index_docs(table, docs, doc_ids)
            kind = table.split(".")[0]
            old_size, old_high = self._table_sizes.pop(table, (0, 0))
            new_size, new_high = 0, 0
            if docs is not None:
                # only upserts reach here incrementally: the highest id can only grow
                upserted = max(map(int, doc_ids), default=0)
                new_size, new_high = len(docs), upserted if full else max(old_high, upserted)
                self._table_sizes[table] = (new_size, new_high)
            self._counts[kind] = self._counts.get(kind, 0) - old_size + new_size
            last = self._last_id.get(kind, 0)
            if new_high > last:
                self._last_id[kind] = new_high
            elif old_high == last and new_high < last:
                recount = True  # a rolled-back save took the highest id with it
        if recount:
            self._recount_last_ids()

    def _index_docs(self, table: str, docs: dict[str, Any], doc_ids: Iterable[str]) -> None:
        """Index the given documents of a records table (only those: a save touches one)."""
        ids = self._table_ids.setdefault(table, {})
        refs = self._refs.setdefault(table, set())
        for doc_id in doc_ids:
            doc = docs.get(doc_id)
            old = ids.pop(doc_id, None)
            if old is not None:
                self._where.pop(old, None)
                self._pending.discard(old)
            if doc is None:
                continue
            rid = doc.get("id")
            ids[doc_id] = rid
            self._where[rid] = (table, int(doc_id))
            if not doc.get("synced_at") and doc.get("sync_status") is None:
                self._pending.add(rid)
            if doc.get("ref") and doc["ref"] not in refs:
                refs.add(doc["ref"])
                self._ref_tables[doc["ref"]] += 1

    def _recount_last_ids(self) -> None:
        last: Counter[str] = Counter({RECORDS: 0, CONTACTS: 0})
        for table, (_, highest) in self._table_sizes.items():
            kind = table.split(".")[0]
            last[kind] = max(last[kind], highest)
        self._last_id = dict(last)

    def _iter_docs(self, kind: str) -> Iterator[dict[str, Any]]:
        data = self._storage.read()
        for table in sorted(t for t in data if t.startswith(kind + ".")):
            docs = data[table]
            for doc_id in sorted(docs, key=int):
                yield docs[doc_id]

    def _doc(self, record_id: str) -> dict[str, Any]:
        table, doc_id = self._where[record_id]
        return _copy_doc(self._storage.read()[table][str(doc_id)])


#: The longest id-like text a record may hold (its id, survey id, kiosk id, times...): a
#: kiosk makes them of a few dozen characters; a longer one did not come from a kiosk, and
#: a 100,000-character id kept ``kiosk stats`` busy wrapping it for minutes.
MAX_FIELD_TEXT = 256
#: Record fields that readers group, sort, compare or print as one short text.
_TEXT_FIELDS = (
    *("survey_id", "kind", "kiosk_id", "lang", "survey_hash", "started_at", "submitted_at"),
    *("synced_at", "sync_status", "ref"),
)
#: Of those, the ones counts and exports group and sort by: never null.
_GROUP_FIELDS = ("survey_id", "kind")


def _doc_problem(table: str, doc: dict[str, Any]) -> str | None:
    """Why a document read from disk cannot be one of this store's, or None.

    Only what the store and its readers rely on is checked (a record's id is its
    key everywhere; the texts counts and exports group, sort and print to a terminal
    are short and free of control characters; a survey version is a number): the
    record schema is the collector's business, and a record saved by an older kiosk
    must still load. ``save`` refuses the same, so
    the kiosk never writes what it would set aside when reading.
    """
    kind, _, shard = table.partition(".")
    if kind not in (RECORDS, CONTACTS) or not shard.isdigit():
        return f"a table this store does not use ({table[:40]!r})"
    key = "id" if kind == RECORDS else "record_id"
    if not isinstance(doc.get(key), str) or not doc[key]:
        return f"a document in {table} without {'an id' if kind == RECORDS else 'a record id'}"
    if len(doc[key]) > MAX_FIELD_TEXT:
        return f"a document in {table} whose {key} is {len(doc[key])} characters long"
    if forbidden_character(doc[key], allowed="") is not None:
        return f"a document in {table} whose {key} holds a control character"
    if kind == RECORDS:
        name = f"record {doc['id'][:40]!r}"
        for text in _TEXT_FIELDS:
            value = doc.get(text)
            if value is None and (text not in doc or text not in _GROUP_FIELDS):
                continue
            if not isinstance(value, str):
                return f"{name} whose {text} is not text"
            if len(value) > MAX_FIELD_TEXT:
                return f"{name} whose {text} is {len(value)} characters long"
            if forbidden_character(value, allowed="") is not None:  # it would reach a terminal
                return f"{name} whose {text} holds a control character"
        version = doc.get("survey_version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            return f"{name} whose survey_version is not a whole number"
        for mapping in ("answers", "idea"):
            if doc.get(mapping) is not None and not isinstance(doc[mapping], dict):
                return f"{name} whose {mapping} is not an object"
        for answer_key in map(str, doc.get("answers") or ()):
            if len(answer_key) > MAX_FIELD_TEXT:
                return f"{name} with an answer key {len(answer_key)} characters long"
            if forbidden_character(answer_key, allowed="") is not None:
                return f"{name} with an answer key that holds a control character"
    return None


def read_store_id(data_dir: str | os.PathLike[str]) -> str | None:
    """The id of the store in ``data_dir`` (None: no store, or one made before ids and
    never written since). Reads only; safe on a write-protected copy."""
    store_dir = Path(data_dir) / "store"
    if not store_dir.is_dir():
        return None
    with contextlib.suppress(OSError):
        text = (store_dir / ID_FILE).read_text(encoding="ascii", errors="replace").strip()
        if STORE_ID.match(text):
            return text
    try:
        with RecordStore(data_dir, read_only=True) as store:
            return store.store_id
    except StoreError:
        return None


def _copy_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy the caller may change without changing the store (answers, idea, lists)."""
    return {k: copy.deepcopy(v) if isinstance(v, dict | list) else v for k, v in doc.items()}


class _Passthrough:
    """Lets TinyDB use an already constructed storage object (TinyDB wants a class)."""

    def __new__(cls, *, storage_obj: LogStorage) -> LogStorage:  # type: ignore[misc]
        return storage_obj
