"""A crash-proof TinyDB storage: a checksummed append-only log plus snapshots.

Stock ``JSONStorage`` rewrites the whole file on every change, so a save costs
more the more is stored and a kill between its write and truncate leaves a file
TinyDB cannot open. This storage instead:

* keeps the database in memory and hands TinyDB that very dict from ``read()``;
* on ``write()`` finds what changed (only the tables TinyDB assigned or popped,
  noted by :class:`TrackedTables`, compared document by document with a
  shallow shadow copy); the outer transaction appends the change as one line
  ``<crc32> <json>`` and fdatasyncs it before returning; if that fails the
  file is cut back and memory rolled back, so memory always equals the disk;
* compacts by writing a snapshot (temp file, fsync, rename, fsync directory)
  and then creating the next generation's log;
* lets several processes share a directory: every transaction holds a
  ``flock`` (shared for readers, exclusive for writers) and first catches up
  with what others appended.

The store never destroys what it holds. Every snapshot and log carries the
store's id (a header line of the log, fields of the snapshot's header; the id
is also kept in ``store-id``), and a snapshot names the generation it was made
from and how long that generation's log was. An older generation is removed
only when a newer snapshot of the same store proves it folded that log in;
files that do not prove they belong (another store's, damaged, junk) are
reported and, unless the store was opened read-only, moved into ``damaged/``.
On open the log is replayed line by line: a damaged line or one whose data
does not fit is skipped and reported but left in place (``kiosk repair`` sets
them aside on request); only a last line without its newline, a save that was
never confirmed, is cut off, after a copy is kept in ``damaged/``. Opened
read-only, the storage opens no file for writing at all.

Keep tables small (the store shards records) so that TinyDB's own per-write
work, which is linear in the size of the table it touches, stays bounded.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from kiosk.store.errors import StoreBusyError, StoreCorruptError, StoreError, StoreWriteError

Tables = dict[str, dict[str, dict[str, Any]]]
#: ``validate(table, document)``: why a replayed document does not fit, or None.
Validator = Callable[[str, dict[str, Any]], str | None]

SNAPSHOT_PREFIX = b"BORGERKIOSK-SNAPSHOT"
SNAPSHOT_MAGIC = SNAPSHOT_PREFIX + b" 2"
LOG_NAME = re.compile(r"^log-(\d{6})\.jsonl$")
SNAPSHOT_NAME = re.compile(r"^snapshot-(\d{6})\.json$")
STORE_ID = re.compile(r"^[0-9a-f]{32}$")
DOC_ID = re.compile(r"^[1-9][0-9]{0,17}$")
ID_FILE = "store-id"
DAMAGED = "damaged"
ENTRY_KEYS = frozenset({"t", "u", "d", "drop"})

#: How deeply a document may nest (a record nests 3 levels): deeper ones would exhaust
#: Python's recursion limit when they are copied or written.
MAX_DEPTH = 32

#: Compact when the log is larger than this and larger than the snapshot.
COMPACT_MIN_BYTES = 16 * 1024 * 1024
LOCK_TIMEOUT_S = 15.0


def _fsync(fd: int) -> None:
    """Flush file data to the disk (fdatasync where the platform has it)."""
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)


def fsync_directory(path: Path) -> None:
    """Make a file's creation, rename or removal in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_durable_directory(path: Path) -> None:
    """Create ``path`` (and missing parents) so that a power cut cannot undo the creation."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True)
    for created in reversed(missing):
        fsync_directory(created.parent)


def new_store_id() -> str:
    """A fresh store id: 32 hex digits, unique without coordination."""
    return uuid.uuid4().hex


def _checksummed(body: bytes) -> bytes:
    return b"%08x %s\n" % (zlib.crc32(body), body)


def encode_line(entries: list[dict[str, Any]]) -> bytes:
    """One transaction as one line: its checksum, a space, its entries as JSON."""
    return _checksummed(json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode())


def encode_header(store_id: str, generation: int) -> bytes:
    """A log's header line: which store and which generation the log belongs to."""
    body = json.dumps({"store": store_id, "generation": generation}, separators=(",", ":"))
    return _checksummed(body.encode())


def _is_header(value: dict[str, Any]) -> bool:
    generation = value.get("generation")
    return (
        set(value) == {"store", "generation"}
        and isinstance(value.get("store"), str)
        and STORE_ID.match(value["store"]) is not None
        and isinstance(generation, int)
        and not isinstance(generation, bool)
        and generation >= 0
    )


def parse_line(line: bytes) -> tuple[str, Any]:
    """What one complete line (ending in LF or CRLF) holds.

    ``("entries", list)`` a transaction, ``("header", dict)`` a log header,
    ``("blank", None)``, ``("damaged", reason)`` when its checksum fails, or
    ``("unfit", reason)`` when the checksum holds but the content is not ours.
    """
    body = line[:-2] if line.endswith(b"\r\n") else line[:-1] if line.endswith(b"\n") else line
    if not body.strip():
        return "blank", None
    if len(body) < 10 or body[8:9] != b" ":
        return "damaged", "no checksum"
    payload = body[9:]
    if body[:8] != b"%08x" % zlib.crc32(payload):
        return "damaged", "checksum mismatch"
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        return "unfit", "not JSON"
    if isinstance(value, list):
        return "entries", value
    if isinstance(value, dict) and _is_header(value):
        return "header", value
    return "unfit", "neither a transaction nor a log header"


def entry_problem(entry: Any) -> str | None:
    """Why a replayed entry cannot be applied at all, or None."""
    if not isinstance(entry, dict):
        return "an entry that is not an object"
    table = entry.get("t")
    if not isinstance(table, str) or not table:
        return "an entry without a table name"
    if not set(entry) <= ENTRY_KEYS:
        return f"an entry with unknown fields in table {table!r}"
    if "drop" in entry and entry["drop"] is not True:
        return f"an entry whose 'drop' is not true in table {table!r}"
    if not isinstance(entry.get("u", {}), dict):
        return f"an entry whose 'u' is not an object in table {table!r}"
    if not isinstance(entry.get("d", []), list):
        return f"an entry whose 'd' is not a list in table {table!r}"
    return None


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and dicts nest deeper than ``limit`` (iteratively: no recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


class TrackedTables(dict[str, dict[str, dict[str, Any]]]):
    """The database dict TinyDB reads and writes back; remembers which tables it replaced.

    TinyDB changes a table by assigning a new dict to ``tables[name]`` (or pops it
    to drop it). Noting those keys lets a write find what changed without walking
    every table, so a save costs the same with 10 tables or 10,000.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched: set[str] = set()

    def __setitem__(self, key: str, value: dict[str, dict[str, Any]]) -> None:
        self.touched.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.touched.add(key)
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:  # type: ignore[override]
        self.touched.add(key)
        return super().pop(key, *default)


@dataclass
class Recovery:
    """What opening or catching up found wrong, for the organiser's health screen."""

    problems: list[str] = field(default_factory=list)

    def report(self, message: str) -> None:
        if message not in self.problems:  # a problem that repeats is listed once
            self.problems.append(message)


@dataclass
class Damage:
    """What the current generation holds that could not be used (for ``kiosk repair``)."""

    #: byte offsets of damaged lines in the log (checksum failed)
    damaged: list[int] = field(default_factory=list)
    #: (byte offset, reason) of lines, or parts of lines, whose data does not fit
    unfit: list[tuple[int, str]] = field(default_factory=list)
    #: byte offsets of blank lines (they hold nothing)
    blank: list[int] = field(default_factory=list)
    #: documents of the snapshot that do not fit
    snapshot_unfit: list[str] = field(default_factory=list)

    @property
    def lost_lines(self) -> int:
        """Lines (or snapshot documents) that may hold records and cannot be read."""
        return len(self.damaged) + len({o for o, _ in self.unfit}) + len(self.snapshot_unfit)

    def __bool__(self) -> bool:
        return bool(self.damaged or self.unfit or self.blank or self.snapshot_unfit)


@dataclass
class _Generation:
    """One generation's files as found on disk, and what they prove."""

    number: int
    snapshot: Path | None = None
    log: Path | None = None
    snapshot_ok: bool = False
    snapshot_problem: str = ""
    snapshot_id: str | None = None
    prev_generation: int | None = None
    prev_log_bytes: int | None = None
    tables: Tables | None = None
    snapshot_bytes: int = 0
    log_id: str | None = None
    log_problem: str = ""
    log_bytes: int = 0

    @property
    def store_id(self) -> str | None:
        return self.snapshot_id or self.log_id

    @property
    def complete(self) -> bool:
        """Its snapshot (none for generation 0) and its log are intact and agree."""
        if self.log is None or self.log_problem:
            return False
        if self.snapshot is None:
            return self.number == 0
        if not self.snapshot_ok:
            return False
        return not (self.snapshot_id and self.log_id and self.snapshot_id != self.log_id)

    def files(self) -> list[Path]:
        return [p for p in (self.snapshot, self.log) if p is not None]


@dataclass
class _Plan:
    generation: int
    store_id: str | None
    tables: Tables
    snapshot_bytes: int = 0
    log_missing: bool = False
    redundant: list[Path] = field(default_factory=list)
    junk: list[tuple[Path, str]] = field(default_factory=list)


class LogStorage(Storage):
    """TinyDB storage over an append-only checksummed log in ``directory``."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        durable: bool = True,
        compact_min_bytes: int = COMPACT_MIN_BYTES,
        lock_timeout: float = LOCK_TIMEOUT_S,
        read_only: bool = False,
        validate: Validator | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.read_only = read_only
        self.validate = validate
        self._lock_fd = -1
        self._existed = self.directory.is_dir()
        if read_only:
            if not self._existed:
                raise StoreError(f"there is no store in {self.directory}")
            self._lock_fd = self._open_lock_for_reading()
        else:
            try:
                _make_durable_directory(self.directory)
                self._lock_fd = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StoreError(
                    f"cannot use {self.directory} for the kiosk's data ({exc.strerror or exc}); "
                    "choose a folder this user may write to"
                ) from exc
        self.durable = durable
        self.compact_min_bytes = compact_min_bytes
        self.lock_timeout = lock_timeout
        self.recovery = Recovery()
        self.damage = Damage()
        #: the store's id; None for a store made before ids, until its first write
        self.store_id: str | None = None
        #: what changed since the owner last asked (own writes and other processes'):
        #: table -> ids of the upserted documents, or None when the whole table changed
        self.changed: dict[str, set[str] | None] = {}
        self._data = TrackedTables()
        self._shadow: Tables = {}
        self._shadow_src: dict[str, dict[str, Any]] = {}
        self._uncommitted: list[dict[str, Any]] = []
        self._undo: dict[str, dict[str, dict[str, Any]] | None] = {}
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._log_fd = -1
        self._loaded = False
        self._generation = 0
        self._offset = 0
        self._intact_lines = 0
        self._snapshot_bytes = 0
        self._closed = False
        try:
            with self.transaction():
                pass  # the first transaction loads everything
        except BaseException:
            self.close()
            raise

    def _open_lock_for_reading(self) -> int:
        """The lock file opened read-only (flock needs no write access), or -1 if unusable.

        A read-only copy on a write-protected stick has no writer to wait for.
        """
        try:
            return os.open(self.directory / "lock", os.O_RDONLY)
        except OSError:
            return -1

    # --- TinyDB's storage interface -----------------------------------------------------

    def read(self) -> Tables:
        """The live database; TinyDB replaces a table's dict when it changes it."""
        return self._data

    def write(self, data: Tables) -> None:
        """Record what changed; the outer transaction appends and fsyncs it as one line."""
        if self._depth == 0:
            raise RuntimeError("LogStorage.write outside a transaction")
        if isinstance(data, TrackedTables) and data is self._data:
            touched, data.touched = data.touched, set()
        else:  # a whole new dict (TinyDB's drop_tables): compare every table
            touched = set(self._shadow) | set(data)
            self._data = TrackedTables(data)
        for entry in self._diff(touched):
            table = entry["t"]
            if table not in self._undo:
                self._undo[table] = dict(self._shadow[table]) if table in self._shadow else None
            self._uncommitted.append(entry)
            self._accept(table)
            self._note_change(entry)

    def _commit(self) -> None:
        """Append the transaction's changes as one line and make it durable."""
        entries, self._uncommitted = self._uncommitted, []
        undo, self._undo = self._undo, {}
        if not entries:
            return
        if self.read_only:
            self._roll_back(undo)
            raise StoreWriteError("the store was opened read-only; nothing was saved")
        try:
            payload = encode_line(entries)
        except (TypeError, ValueError) as exc:
            self._roll_back(undo)
            raise StoreWriteError(
                f"the record cannot be stored as JSON ({exc}); nothing was saved"
            ) from exc
        adopting = self.store_id is None
        if adopting:  # a store made before ids: it takes one with its first write
            self.store_id = new_store_id()
            payload = encode_header(self.store_id, self._generation) + payload
        try:
            self._append(payload)
            if adopting:
                self._write_id_file()
        except OSError as exc:
            self._roll_back(undo)
            if adopting:
                self.store_id = None
            raise StoreWriteError(_describe_os_error(exc, self._log_path)) from exc
        except BaseException:
            self._roll_back(undo)
            if adopting:
                self.store_id = None
            raise

    def close(self) -> None:
        """Release the files; waits for a transaction another thread is running."""
        with self._thread_lock:
            if self._closed:
                return
            self._closed = True
            for fd in (self._log_fd, self._lock_fd):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)

    # --- transactions across threads and processes -----------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store (exclusively to write), after catching up with other processes."""
        with self._thread_lock:
            if self._closed:
                raise StoreWriteError("the store is closed")
            outer = self._depth == 0
            if outer:
                self._acquire_file_lock()
            self._depth += 1
            try:
                if outer:
                    try:
                        self._catch_up()
                    except OSError as exc:
                        raise StoreError(
                            f"could not read the store in {self.directory} "
                            f"({exc.strerror or exc}); nothing was changed"
                        ) from exc
                try:
                    yield
                except BaseException:
                    if outer:
                        self._roll_back(self._undo)
                        self._uncommitted, self._undo = [], {}
                    raise
                if outer:
                    self._commit()
            finally:
                self._depth -= 1
                if outer and self._lock_fd >= 0:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _acquire_file_lock(self) -> None:
        if self._lock_fd < 0:
            return  # read-only without a lock file: nobody writes here
        mode = fcntl.LOCK_SH if self.read_only else fcntl.LOCK_EX
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(self._lock_fd, mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"another program has kept the data directory {self.directory} locked "
                        f"for {self.lock_timeout:.0f} s; is a sync or export stuck? Try again."
                    ) from None
                time.sleep(0.005)

    # --- loading and catching up -----------------------------------------------------------

    @property
    def _log_path(self) -> Path:
        return self.directory / f"log-{self._generation:06d}.jsonl"

    def _snapshot_path(self, generation: int) -> Path:
        return self.directory / f"snapshot-{generation:06d}.json"

    def _catch_up(self) -> None:
        if not self._loaded or (self._log_fd < 0 and self._log_path.exists()):
            self._load()
            self._data.touched.clear()
            return
        if self._log_fd < 0:
            return  # read-only, and the log is missing: the snapshot is all there is
        stat = os.fstat(self._log_fd)
        newer = self.directory / f"log-{self._generation + 1:06d}.jsonl"
        if stat.st_nlink == 0 or stat.st_size < self._offset or newer.is_file():
            self._load()  # another process compacted or repaired the log
        elif stat.st_size > self._offset:
            self._replay_tail()
        self._data.touched.clear()  # what other processes wrote is on disk already

    def _load(self) -> None:
        """Load the newest intact generation: its snapshot, then its log."""
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1
        self.damage = Damage()
        plan = self._plan()
        self._generation = plan.generation
        self.store_id = plan.store_id
        self._snapshot_bytes = plan.snapshot_bytes
        self.changed.update(dict.fromkeys(self._data))  # tables the new state may not have
        self._data = TrackedTables(self._checked_tables(plan.tables))
        self._shadow = {t: {k: dict(v) for k, v in docs.items()} for t, docs in self._data.items()}
        self._shadow_src = dict(self._data)
        self.changed.update(dict.fromkeys(self._data))
        self._offset = 0
        self._intact_lines = 0
        if self._log_path.exists():
            flags = os.O_RDONLY if self.read_only else os.O_RDWR | os.O_APPEND
            self._log_fd = os.open(self._log_path, flags)
        elif not self.read_only:
            if self.store_id is None:
                self.store_id = new_store_id()
            self._log_fd = self._create_log(self._generation)
        self._loaded = True
        if self._log_fd >= 0:
            self._replay_tail()
        if plan.log_missing:
            self.recovery.report(
                f"{self._log_path.name} was missing; loaded "
                f"{self._snapshot_path(plan.generation).name}, the last compacted state; "
                "records saved after it may be missing: check a backup copy of the data directory"
            )
        self._tidy(plan)
        if not self.read_only and self.store_id and self._read_id_file() is None:
            self._write_id_file()

    def _scan(self) -> tuple[dict[int, _Generation], list[Path], list[Path]]:
        """The generations on disk; our temp files; snapshots no generation can have."""
        generations: dict[int, _Generation] = {}
        temps: list[Path] = []
        strays: list[Path] = []
        for path in self.directory.iterdir():
            if not path.is_file():
                continue  # damaged/, or a folder someone named like a store file
            if match := LOG_NAME.match(path.name):
                number = int(match.group(1))
                generations.setdefault(number, _Generation(number)).log = path
            elif match := SNAPSHOT_NAME.match(path.name):
                number = int(match.group(1))
                if number == 0:  # a compaction makes generation 1 or later
                    strays.append(path)
                    continue
                generations.setdefault(number, _Generation(number)).snapshot = path
            elif path.suffix in (".tmp", ".repair") and path.is_file():
                temps.append(path)
        for generation in generations.values():
            if generation.snapshot is not None:
                self._inspect_snapshot(generation)
            if generation.log is not None:
                self._inspect_log(generation)
        return generations, temps, strays

    def _inspect_snapshot(self, generation: _Generation) -> None:
        """Check a snapshot's header and checksum; keep its tables if it is intact."""
        assert generation.snapshot is not None
        raw = generation.snapshot.read_bytes()
        header, _, body = raw.partition(b"\n")
        parts = header.split(b" ")
        covered = body
        fields: list[bytes] = []
        if parts[:2] == [SNAPSHOT_PREFIX, b"2"] and len(parts) == 8:
            fields = parts[4:]
            covered = b" ".join(fields) + b"\n" + body
        elif not (parts[:2] == [SNAPSHOT_PREFIX, b"1"] and len(parts) == 4):
            generation.snapshot_problem = "is not a snapshot of this program"
            return
        if parts[2] != b"%08x" % zlib.crc32(covered) or parts[3] != str(len(body)).encode():
            generation.snapshot_problem = "is damaged (checksum mismatch)"
            return
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            generation.snapshot_problem = "is damaged (not a table of records)"
            return
        if fields:
            store_id, number, prev_generation, prev_bytes = (
                f.decode("ascii", "replace") for f in fields
            )
            if not STORE_ID.match(store_id) or number != str(generation.number):
                generation.snapshot_problem = (
                    f"names generation {number} in its header, not {generation.number}"
                    if STORE_ID.match(store_id)
                    else "has no valid store id"
                )
                return
            generation.snapshot_id = store_id
            with contextlib.suppress(ValueError):
                generation.prev_generation = int(prev_generation)
                generation.prev_log_bytes = int(prev_bytes)
        generation.snapshot_ok = True
        generation.tables = data
        generation.snapshot_bytes = len(body)

    def _inspect_log(self, generation: _Generation) -> None:
        """Read a log's header line: which store and generation it belongs to."""
        assert generation.log is not None
        with open(generation.log, "rb") as log:
            first = log.readline()
            generation.log_bytes = os.fstat(log.fileno()).st_size
            if not first.endswith(b"\n"):
                return  # empty, or one torn line: nothing proven either way
            kind, value = parse_line(first)
            if kind == "entries":  # a store made before ids takes its id mid-log
                for line in log:
                    found, header = parse_line(line)
                    if found == "header" and header["generation"] == generation.number:
                        generation.log_id = header["store"]
                        return
        if kind == "header":
            if value["generation"] != generation.number:
                generation.log_problem = (
                    f"names generation {value['generation']} in its header, not {generation.number}"
                )
            else:
                generation.log_id = value["store"]

    def _plan(self) -> _Plan:
        """Choose the newest generation that proves intact and belongs to this store.

        Older generations a newer snapshot proves it folded in, and the snapshot
        of a compaction interrupted before it created its log, are redundant.
        Anything else that is not the chosen generation is junk: reported, and
        moved into ``damaged/`` when the store is not read-only.
        """
        generations, temps, strays = self._scan()
        anchor = own_id = self._read_id_file()
        carried = {g.store_id for g in generations.values() if g.store_id}
        if anchor is not None and carried and anchor not in carried:
            self.recovery.report(
                f"{self.directory / ID_FILE} names store {anchor} but no file of the store "
                "carries that id; it was ignored"
            )
            anchor = own_id = None
        if anchor is None:
            for g in sorted(generations.values(), key=lambda g: -g.number):
                if g.store_id and (g.complete or g.snapshot_ok):
                    anchor = g.store_id
                    break

        def ours(g: _Generation) -> bool:
            if anchor is None or g.store_id == anchor:
                return True
            if g.store_id is not None:
                return False
            # a file without an id is older than ids; newer than an id-carrying one it is foreign
            return not any(
                h.store_id == anchor and h.complete
                for h in generations.values()
                if h.number < g.number
            )

        chosen: _Generation | None = None
        log_missing = False

        def usable(g: _Generation) -> bool:
            """Ours, and not an id-less generation older than others of a store that has
            its id: such a store moved on under its id, so the file proves nothing (a junk
            log-000000.jsonl beside a damaged snapshot showed an empty store, and the kiosk
            set the intact newer log aside)."""
            return ours(g) and not (
                g.store_id is None
                and own_id is not None
                and any(h.number > g.number for h in generations.values())
            )

        complete = [g for g in generations.values() if g.complete and usable(g)]
        if complete:
            chosen = max(complete, key=lambda g: g.number)
        else:
            orphans = [
                g for g in generations.values() if g.snapshot_ok and g.log is None and usable(g)
            ]
            if orphans:
                chosen = max(orphans, key=lambda g: g.number)
                log_missing = True
        if chosen is None:
            if generations:
                self._refuse(generations)
            chosen = _Generation(0)
            self._report_vanished()
        plan = _Plan(
            generation=chosen.number,
            store_id=chosen.store_id or anchor,
            tables=chosen.tables or {},
            snapshot_bytes=chosen.snapshot_bytes,
            log_missing=log_missing,
        )
        proven = self._proven_older(chosen, generations, ours)
        for g in generations.values():
            if g.number == chosen.number:
                continue
            if g.number in proven or self._interrupted_compaction(g, chosen, ours):
                plan.redundant += g.files()
            else:
                reason = self._why_not_used(g, chosen, ours)
                plan.junk += [(path, reason) for path in g.files()]
        plan.redundant += temps
        plan.junk += [(path, "generation 0 never has a snapshot") for path in strays]
        if chosen.number == 0 and chosen.log is not None and chosen.log_bytes == 0:
            self.recovery.report(
                f"{chosen.log.name} is empty: no record was ever saved here, or the store's "
                "files were lost; if this kiosk collected records, look for a backup copy"
            )
        return plan

    def _proven_older(
        self,
        chosen: _Generation,
        generations: dict[int, _Generation],
        ours: Callable[[_Generation], bool],
    ) -> set[int]:
        """Older generations the chosen one's chain of snapshots proves it folded in."""
        proven: set[int] = set()
        current = chosen
        while current.snapshot_ok and current.prev_generation is not None:
            older = generations.get(current.prev_generation)
            if (
                older is None
                or older.number >= current.number
                or older.log is None
                or older.log_bytes != current.prev_log_bytes
                or not ours(older)
                or (older.store_id not in (None, chosen.store_id))
            ):
                break
            proven.add(older.number)
            current = older
        return proven

    def _interrupted_compaction(
        self, g: _Generation, chosen: _Generation, ours: Callable[[_Generation], bool]
    ) -> bool:
        """A snapshot made from the chosen generation as it is now, whose log was never made."""
        return (
            g.number > chosen.number
            and g.log is None
            and g.snapshot_ok
            and g.snapshot_id is not None
            and ours(g)
            and g.prev_generation == chosen.number
            and chosen.log is not None
            and g.prev_log_bytes == chosen.log_bytes
        )

    def _why_not_used(
        self, g: _Generation, chosen: _Generation, ours: Callable[[_Generation], bool]
    ) -> str:
        if g.snapshot is not None and not g.snapshot_ok:
            return f"{g.snapshot.name} {g.snapshot_problem}"
        if g.log_problem:
            return f"{g.log.name if g.log else ''} {g.log_problem}"
        if not ours(g):
            return f"it belongs to another store ({g.store_id or 'one without an id'})"
        if g.snapshot is None and g.number > 0:
            empty = " is empty and" if g.log_bytes == 0 else ""
            return f"{g.log.name if g.log else ''}{empty} has no snapshot-{g.number:06d}.json"
        return f"it is not proven part of generation {chosen.number}, which the store uses"

    def _refuse(self, generations: dict[int, _Generation]) -> None:
        """No generation can be used: say why, keeping a copy of a damaged snapshot."""
        by_age = sorted(generations.values(), key=lambda g: -g.number)
        damaged = [g for g in by_age if g.snapshot is not None and not g.snapshot_ok]
        if damaged:
            newest = damaged[0]
            assert newest.snapshot is not None
            kept = ""
            if not self.read_only:
                kept = f"; a copy is kept at {self._keep_aside(newest.snapshot)}"
            raise StoreCorruptError(
                f"the snapshot {newest.snapshot} {newest.snapshot_problem}{kept}. "
                "Restore the data directory from a backup copy."
            )
        orphans = [g for g in by_age if g.snapshot is None and g.log is not None and g.number]
        if orphans:
            newest = orphans[0]
            assert newest.log is not None
            raise StoreCorruptError(
                f"{self._snapshot_path(newest.number)} is missing although {newest.log.name} "
                "needs it; restore the data directory from a backup copy"
            )
        names = ", ".join(sorted(p.name for g in generations.values() for p in g.files()))
        raise StoreCorruptError(
            f"no intact generation of this store in {self.directory} ({names}); "
            "restore the data directory from a backup copy"
        )

    def _report_vanished(self) -> None:
        """A store folder that existed but holds no store files lost them."""
        if not self._existed:
            return
        leftovers = sorted(p.name for p in self.directory.iterdir() if p.name != "lock")
        if self.read_only or leftovers or (self.directory / "lock").exists():
            self.recovery.report(
                f"log-000000.jsonl is missing from {self.directory}: the store's files have "
                "vanished, or this is not a kiosk's data directory; if this kiosk collected "
                "records, look for a backup copy"
            )

    def _tidy(self, plan: _Plan) -> None:
        """Remove what is proven redundant and set junk aside (read-only: report junk only)."""
        for path, why in plan.junk:
            reason = f"{path.name} is not used: {why}"
            if why.startswith(path.name):
                reason = f"{why}; not used"
            if self.read_only:
                self.recovery.report(f"{reason}; it was left as it is")
                continue
            try:
                kept = self._move_aside(path)
            except OSError as exc:
                self.recovery.report(f"{reason}; could not move it aside ({exc.strerror})")
            else:
                self.recovery.report(f"{reason}; it was moved to {kept}")
        if self.read_only:
            return
        for path in plan.redundant:
            if LOG_NAME.match(path.name) and self._log_holds_damage(path):
                with contextlib.suppress(OSError):
                    self._move_aside(path)
                continue
            with contextlib.suppress(OSError):
                path.unlink()

    def _log_holds_damage(self, path: Path) -> bool:
        """Whether a log has a line that did not reach its snapshot (damaged or unfit)."""
        with open(path, "rb") as log:
            for line in log:
                if not line.endswith(b"\n") or parse_line(line)[0] in ("damaged", "unfit"):
                    return True
        return False

    def _checked_tables(self, tables: Tables) -> Tables:
        """The snapshot's tables without the documents that do not fit (reported)."""
        clean: Tables = {}
        for table, docs in tables.items():
            if not isinstance(docs, dict):
                self.damage.snapshot_unfit.append(f"table {table!r} is not an object")
                continue
            kept: dict[str, dict[str, Any]] = {}
            for doc_id, doc in docs.items():
                problem = self._doc_problem(table, doc_id, doc)
                if problem:
                    self.damage.snapshot_unfit.append(problem)
                else:
                    kept[doc_id] = doc
            clean[table] = kept
        if self.damage.snapshot_unfit:
            self.recovery.report(
                f"{self._snapshot_path(self._generation).name}: "
                f"{len(self.damage.snapshot_unfit)} document(s) do not fit the store "
                f"({self.damage.snapshot_unfit[0]}); they were skipped and left in the file"
            )
        return clean

    def _doc_problem(self, table: str, doc_id: Any, doc: Any) -> str | None:
        if not isinstance(doc_id, str) or not DOC_ID.match(doc_id):
            return f"document id {str(doc_id)[:40]!r} in {table[:40]!r} is not a number"
        if not isinstance(doc, dict):
            return f"document {doc_id} in {table[:40]!r} is not an object"
        if _nested_deeper_than(doc, MAX_DEPTH):
            return f"document {doc_id} in {table[:40]!r} is nested deeper than {MAX_DEPTH} levels"
        if self.validate is not None:
            return self.validate(table, doc)
        return None

    def _replay_tail(self) -> None:
        """Apply the log from ``self._offset`` on: skip and report what cannot be used."""
        os.lseek(self._log_fd, self._offset, os.SEEK_SET)
        chunks = []
        while chunk := os.read(self._log_fd, 1 << 20):
            chunks.append(chunk)
        tail = b"".join(chunks)
        complete_end = tail.rfind(b"\n") + 1
        torn = tail[complete_end:]
        damaged_before = (len(self.damage.damaged), len(self.damage.unfit), len(self.damage.blank))
        position = self._offset
        for line in tail[:complete_end].split(b"\n")[:-1]:
            self._replay_line(line + b"\n", position)
            position += len(line) + 1
        self._offset += complete_end
        self._report_damage(damaged_before)
        if torn:
            self._torn_tail(torn)

    def _replay_line(self, line: bytes, position: int) -> None:
        kind, value = parse_line(line)
        if kind == "entries":
            self._intact_lines += 1
            for entry in value:
                problem = entry_problem(entry)
                if problem is not None:
                    self.damage.unfit.append((position, problem))
                else:
                    self._apply(entry, position)
        elif kind == "header":
            if value["store"] == self.store_id and value["generation"] == self._generation:
                return
            if self.store_id is None and value["generation"] == self._generation:
                self.store_id = value["store"]  # a store that adopted its id mid-log
                return
            self.damage.unfit.append((position, "a header of another store or generation"))
        elif kind == "blank":
            self.damage.blank.append(position)
        elif kind == "damaged":
            self.damage.damaged.append(position)
        else:
            self.damage.unfit.append((position, value))

    def _report_damage(self, before: tuple[int, int, int]) -> None:
        name = self._log_path.name
        damaged = self.damage.damaged[before[0] :]
        unfit = self.damage.unfit[before[1] :]
        blank = self.damage.blank[before[2] :]
        advice = "; the file is left as it is: `kiosk repair` sets them aside"
        if damaged:
            where = ", ".join(str(offset) for offset in damaged[:5])
            nothing = (
                "; no line of the log could be read (was it copied unchanged?)"
                if self._intact_lines == 0
                else ""
            )
            self.recovery.report(
                f"{name}: {len(damaged)} damaged line(s) at byte(s) {where} "
                f"(checksum mismatch): the records in them cannot be read{nothing}{advice}"
            )
        if unfit:
            where = ", ".join(str(offset) for offset, _ in unfit[:5])
            self.recovery.report(
                f"{name}: {len(unfit)} part(s) of line(s) at byte(s) {where} hold data that "
                f"does not fit the store ({unfit[0][1]}); they were skipped{advice}"
            )
        if blank:
            where = ", ".join(str(offset) for offset in blank[:5])
            self.recovery.report(f"{name}: {len(blank)} blank line(s) at byte(s) {where}{advice}")

    def _torn_tail(self, torn: bytes) -> None:
        """A last line without its newline: a save that never finished, so never confirmed."""
        where = self._offset
        if self.read_only:
            self.recovery.report(
                f"{self._log_path.name}: an incomplete last write at byte {where} "
                "(a save interrupted before it was confirmed) was not read"
            )
            return
        kept = self._keep_aside(self._log_path)
        os.ftruncate(self._log_fd, self._offset)
        _fsync(self._log_fd)
        self.recovery.report(
            f"{self._log_path.name}: discarded an incomplete last write at byte {where} "
            f"(a save interrupted before it was confirmed, {len(torn)} bytes); "
            f"a copy is kept at {kept}"
        )

    def _apply(self, entry: dict[str, Any], position: int = -1) -> None:
        table = entry["t"]
        if entry.get("drop"):
            self._data.pop(table, None)
            self._shadow.pop(table, None)
            self._shadow_src.pop(table, None)
            self._note_change(entry)
            return
        docs = self._data.setdefault(table, {})
        shadow = self._shadow.setdefault(table, {})
        upserts: dict[str, Any] = {}
        for doc_id, doc in (entry.get("u") or {}).items():
            problem = self._doc_problem(table, doc_id, doc)
            if problem is not None:
                self.damage.unfit.append((position, problem))
                continue
            upserts[doc_id] = doc
            docs[doc_id] = doc
            shadow[doc_id] = dict(doc)
        deletes = [d for d in entry.get("d") or () if isinstance(d, str) and DOC_ID.match(d)]
        for doc_id in deletes:
            docs.pop(doc_id, None)
            shadow.pop(doc_id, None)
        self._data[table] = docs
        self._shadow_src[table] = docs
        self._note_change({"t": table, "u": upserts, "d": deletes})

    def _note_change(self, entry: dict[str, Any]) -> None:
        """Tell the owner which documents an entry upserted (a drop or delete: the table)."""
        table = entry["t"]
        if entry.get("drop") or entry.get("d"):
            self.changed[table] = None
        elif table not in self.changed:
            self.changed[table] = set(entry.get("u") or ())
        elif (known := self.changed[table]) is not None:
            known.update(entry.get("u") or ())

    def back_up(self) -> Path:
        """Copy the current generation's files into a new folder of ``damaged/``."""
        with self.transaction():
            target = self._aside_target(Path(f"repair-{self._log_path.stem}"))
            target.mkdir()
            for path in (
                self._snapshot_path(self._generation),
                self._log_path,
                self.directory / ID_FILE,
            ):
                if path.exists():
                    shutil.copy2(path, target / path.name)
                    with open(target / path.name, "rb") as copied:
                        os.fsync(copied.fileno())
            fsync_directory(target)
            fsync_directory(target.parent)
            return target

    # --- the store's id and setting files aside ------------------------------------------

    def _read_id_file(self) -> str | None:
        try:
            text = (self.directory / ID_FILE).read_text(encoding="ascii", errors="replace")
        except OSError:
            return None
        text = text.strip()
        return text if STORE_ID.match(text) else None

    def _write_id_file(self) -> None:
        assert self.store_id is not None
        _write_durably(self.directory / ID_FILE, self.store_id.encode() + b"\n")

    def _create_log(self, generation: int) -> int:
        """A new log that starts with its header: it never exists without one."""
        assert self.store_id is not None
        path = self.directory / f"log-{generation:06d}.jsonl"
        _write_durably(path, encode_header(self.store_id, generation))
        return os.open(path, os.O_RDWR | os.O_APPEND)

    def _aside_target(self, path: Path) -> Path:
        aside = self.directory / DAMAGED
        aside.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return aside / f"{path.name}.{stamp}"

    def _keep_aside(self, path: Path) -> Path:
        """Copy ``path`` into ``damaged/`` durably (the evidence must outlive a power cut)."""
        target = self._aside_target(path)
        shutil.copy2(path, target)
        with open(target, "rb") as kept:
            os.fsync(kept.fileno())
        fsync_directory(target.parent)
        fsync_directory(self.directory)
        return target

    def _move_aside(self, path: Path) -> Path:
        """Move ``path`` into ``damaged/``: out of the store's way, never deleted."""
        target = self._aside_target(path)
        os.replace(path, target)
        fsync_directory(target.parent)
        fsync_directory(self.directory)
        return target

    # --- writing ---------------------------------------------------------------------------

    def _diff(self, touched: set[str]) -> Iterator[dict[str, Any]]:
        """What changed in the ``touched`` tables since the last durable write."""
        for table in sorted(touched):
            docs = self._data.get(table)
            if docs is None:
                if table in self._shadow:
                    yield {"t": table, "drop": True}
                continue
            if self._shadow_src.get(table) is docs:
                continue  # TinyDB did not touch this table
            shadow = self._shadow.get(table, {})
            upserts = {k: v for k, v in docs.items() if shadow.get(k) != v}
            deletes = [k for k in shadow if k not in docs]
            if upserts or deletes:
                entry: dict[str, Any] = {"t": table, "u": upserts}
                if deletes:
                    entry["d"] = deletes
                yield entry
            else:
                self._shadow_src[table] = docs

    def _append(self, payload: bytes) -> None:
        start = self._offset
        try:
            written = os.write(self._log_fd, payload)
            if written != len(payload):
                raise OSError(errno.ENOSPC, "short write")
            if self.durable:
                _fsync(self._log_fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._log_fd, start)
            raise
        self._offset = start + len(payload)

    def _accept(self, table: str) -> None:
        """The change to ``table`` is durable: make the shadow match it."""
        if table not in self._data:
            self._shadow.pop(table, None)
            self._shadow_src.pop(table, None)
            return
        docs = self._data[table]
        shadow = self._shadow.setdefault(table, {})
        for doc_id, doc in docs.items():
            if shadow.get(doc_id) != doc:
                shadow[doc_id] = dict(doc)
        for doc_id in [k for k in shadow if k not in docs]:
            del shadow[doc_id]
        self._shadow_src[table] = docs

    def _roll_back(self, undo: dict[str, dict[str, dict[str, Any]] | None]) -> None:
        """Forget uncommitted changes: memory returns to what is on disk."""
        for table, before in undo.items():
            if before is None:
                self._data.pop(table, None)
                self._shadow.pop(table, None)
                self._shadow_src.pop(table, None)
            else:
                restored = {k: dict(v) for k, v in before.items()}
                self._data[table] = restored
                self._shadow[table] = before
                self._shadow_src[table] = restored
            self.changed[table] = None
        self._data.touched.clear()

    # --- compaction ------------------------------------------------------------------------

    def needs_compaction(self) -> bool:
        return self._offset > max(self.compact_min_bytes, self._snapshot_bytes)

    def compact(self, *, repair: bool = False) -> None:
        """Write the whole state as a new snapshot generation and start a new log.

        The old generation is removed only when everything in its log is in the
        new snapshot; a log holding lines that could not be read is moved into
        ``damaged/`` instead (``repair``: the caller asked for exactly that).
        """
        with self.transaction():
            if self.read_only:
                raise StoreWriteError("the store was opened read-only; nothing was compacted")
            if self.store_id is None:  # adopt an id first, so the new snapshot follows this log
                self.store_id = new_store_id()
                try:
                    self._append(encode_header(self.store_id, self._generation))
                    self._write_id_file()
                except OSError as exc:
                    self.store_id = None
                    raise StoreWriteError(_describe_os_error(exc, self._log_path)) from exc
            old_log = self._log_path
            old_snapshot = self._snapshot_path(self._generation)
            damage = self.damage
            had_damage = bool(damage.damaged or damage.unfit or damage.snapshot_unfit)
            new_generation = max(self._generation, *self._numbers_on_disk()) + 1
            snapshot_bytes = write_snapshot(
                self.directory,
                new_generation,
                self._data,
                store_id=self.store_id,
                prev=(self._generation, self._offset),
            )
            try:
                fd = self._create_log(new_generation)
            except OSError as exc:
                raise StoreWriteError(
                    _describe_os_error(exc, self.directory / f"log-{new_generation:06d}.jsonl")
                ) from exc
            os.close(self._log_fd)
            self._log_fd = fd
            self._generation = new_generation
            self._offset = os.fstat(fd).st_size
            self._snapshot_bytes = snapshot_bytes
            self.damage = Damage()
            self._intact_lines = 0
            if had_damage and not repair:
                with contextlib.suppress(OSError):
                    kept = self._move_aside(old_log)
                    self.recovery.report(
                        f"{old_log.name} held lines that could not be read; "
                        f"it was moved to {kept} when the store compacted"
                    )
            for path in (old_log, old_snapshot):
                with contextlib.suppress(OSError):
                    path.unlink()
            for path in self.directory.iterdir():
                if path.suffix in (".tmp", ".repair"):
                    with contextlib.suppress(OSError):
                        path.unlink()

    def _numbers_on_disk(self) -> list[int]:
        numbers = []
        for path in self.directory.iterdir():
            if match := LOG_NAME.match(path.name) or SNAPSHOT_NAME.match(path.name):
                numbers.append(int(match.group(1)))
        return numbers

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def log_bytes(self) -> int:
        return self._offset


def write_snapshot(
    directory: Path,
    generation: int,
    tables: Tables,
    *,
    store_id: str | None = None,
    prev: tuple[int, int] = (-1, 0),
) -> int:
    """Write ``tables`` as the snapshot of ``generation`` durably; returns its body's size.

    The header names the store, the generation, and the generation and log size
    it was made from: what lets a later open prove the older files redundant. A
    temp file, fsync, rename, fsync of the directory: a crash leaves either the
    old files or the complete new snapshot, never a half-written one. The
    generation is only used once its log exists.
    """
    store_id = store_id or new_store_id()
    body = json.dumps(tables, ensure_ascii=False, separators=(",", ":")).encode()
    fields = b"%s %d %d %d" % (store_id.encode(), generation, prev[0], prev[1])
    crc = zlib.crc32(fields + b"\n" + body)
    header = b"%s %08x %d %s\n" % (SNAPSHOT_MAGIC, crc, len(body), fields)
    target = directory / f"snapshot-{generation:06d}.json"
    try:
        _write_durably(target, header + body)
    except OSError as exc:
        raise StoreWriteError(_describe_os_error(exc, target)) from exc
    return len(body)


def _write_durably(target: Path, content: bytes) -> None:
    """Write a whole file: temp file, fsync, rename, fsync of the directory."""
    tmp = target.with_suffix(".tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        fsync_directory(target.parent)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _describe_os_error(exc: OSError, path: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (
            f"the disk is full: could not save to {path}; free some space (nothing saved is lost)"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot write to {path} ({exc.strerror}); check the data directory's permissions"
    return f"could not save to {path}: {exc.strerror or exc} (nothing saved is lost)"
