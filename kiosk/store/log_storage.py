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
  and then creating the next generation's log; the newest log names the
  generation in use (see :meth:`LogStorage._choose_generation`);
* on open, replays the log, skipping lines whose checksum fails; a damaged or
  torn file is copied aside into ``damaged/`` and reported, never treated as
  empty; a damaged or missing snapshot raises :class:`StoreCorruptError`;
* lets several processes share a directory: every transaction holds an
  exclusive ``flock`` and first catches up with what others appended.

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
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from kiosk.store.errors import StoreBusyError, StoreCorruptError, StoreError, StoreWriteError

Tables = dict[str, dict[str, dict[str, Any]]]

SNAPSHOT_MAGIC = b"BORGERKIOSK-SNAPSHOT 1"
LOG_NAME = re.compile(r"^log-(\d{6})\.jsonl$")
SNAPSHOT_NAME = re.compile(r"^snapshot-(\d{6})\.json$")

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


def encode_line(entries: list[dict[str, Any]]) -> bytes:
    """One transaction as one line: its checksum, a space, its entries as JSON."""
    body = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(body), body)


def decode_line(line: bytes) -> list[dict[str, Any]] | None:
    """The entries of one complete log line, or None if it is torn or damaged."""
    if len(line) < 10 or line[8:9] != b" " or not line.endswith(b"\n"):
        return None
    body = line[9:-1]
    if line[:8] != b"%08x" % zlib.crc32(body):
        return None
    try:
        entries = json.loads(body)
    except ValueError:
        return None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("t"), str) for e in entries
    ):
        return None
    return entries


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


class LogStorage(Storage):
    """TinyDB storage over an append-only checksummed log in ``directory``."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        durable: bool = True,
        compact_min_bytes: int = COMPACT_MIN_BYTES,
        lock_timeout: float = LOCK_TIMEOUT_S,
    ) -> None:
        self.directory = Path(directory)
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
        self._generation = 0
        self._offset = 0
        self._snapshot_bytes = 0
        self._closed = False
        try:
            with self.transaction():
                pass  # the first transaction loads everything
        except BaseException:
            self.close()
            raise

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
        try:
            payload = encode_line(entries)
        except (TypeError, ValueError) as exc:
            self._roll_back(undo)
            raise StoreWriteError(
                f"the record cannot be stored as JSON ({exc}); nothing was saved"
            ) from exc
        try:
            self._append(payload)
        except OSError as exc:
            self._roll_back(undo)
            raise StoreWriteError(_describe_os_error(exc, self._log_path)) from exc
        except BaseException:
            self._roll_back(undo)
            raise

    def close(self) -> None:
        """Release the files; waits for a transaction another thread is running."""
        with self._thread_lock:
            if self._closed:
                return
            self._closed = True
            with contextlib.suppress(OSError):
                if self._log_fd >= 0:
                    os.close(self._log_fd)
                os.close(self._lock_fd)

    # --- transactions across threads and processes -----------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store exclusively, after catching up with other processes' changes."""
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
                if outer:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _acquire_file_lock(self) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
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
        if self._log_fd < 0:
            self._load()
            self._data.touched.clear()
            return
        stat = os.fstat(self._log_fd)
        newer = self.directory / f"log-{self._generation + 1:06d}.jsonl"
        if stat.st_nlink == 0 or stat.st_size < self._offset or newer.exists():
            self._load()  # another process compacted or repaired the log
        elif stat.st_size > self._offset:
            self._replay_tail()
        self._data.touched.clear()  # what other processes wrote is on disk already

    def _load(self) -> None:
        """Load the newest generation: its snapshot, then its log."""
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1
        self._generation = self._choose_generation()
        self._data = TrackedTables(self._read_snapshot(self._generation))
        self._shadow = {t: {k: dict(v) for k, v in docs.items()} for t, docs in self._data.items()}
        self._shadow_src = dict(self._data)
        self.changed.update(dict.fromkeys(self._data))
        created = not self._log_path.exists()
        self._log_fd = os.open(self._log_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        if created:
            fsync_directory(self.directory)
        self._offset = 0
        self._replay_tail()
        self._remove_stale_generations()

    def _choose_generation(self) -> int:
        """The newest generation whose state is complete.

        A snapshot one generation newer than the newest log is what a compaction
        interrupted before it created its log leaves behind: the older generation
        holds everything, so it is used and the leftover removed. A newer snapshot
        with a gap before it means a log went missing: the snapshot is the best
        state there is, so it is used and the problem reported; never an empty store.
        """
        logs, snapshots = [-1], [-1]
        for path in self.directory.iterdir():
            if match := LOG_NAME.match(path.name):
                logs.append(int(match.group(1)))
            elif match := SNAPSHOT_NAME.match(path.name):
                snapshots.append(int(match.group(1)))
        newest_log, newest_snapshot = max(logs), max(snapshots)
        if newest_snapshot <= newest_log or newest_snapshot == newest_log + 1:
            return max(newest_log, 0)
        missing = f"log-{newest_snapshot:06d}.jsonl"
        self.recovery.report(
            f"{missing} was missing; loaded {self._snapshot_path(newest_snapshot).name}, "
            "the last compacted state; records saved after it may be missing: "
            "check a backup copy of the data directory"
        )
        return newest_snapshot

    def _read_snapshot(self, generation: int) -> Tables:
        path = self._snapshot_path(generation)
        if not path.exists():
            if generation > 0:
                raise StoreCorruptError(
                    f"{path} is missing although {self._log_path.name} needs it; "
                    "restore the data directory from a backup copy"
                )
            return {}
        raw = path.read_bytes()
        header, _, body = raw.partition(b"\n")
        parts = header.split(b" ")
        ok = (
            header.startswith(SNAPSHOT_MAGIC)
            and len(parts) == 4
            and parts[2] == b"%08x" % zlib.crc32(body)
            and parts[3] == str(len(body)).encode()
        )
        data: Any = None
        if ok:
            try:
                data = json.loads(body)
            except ValueError:
                ok = False
        if not ok or not isinstance(data, dict):
            kept = self._keep_aside(path)
            raise StoreCorruptError(
                f"the snapshot {path} is damaged (checksum mismatch); a copy is kept at {kept}. "
                "Restore the data directory from a backup copy."
            )
        self._snapshot_bytes = len(body)
        return data

    def _replay_tail(self) -> None:
        """Apply the log from ``self._offset`` on; repair a torn or damaged tail."""
        os.lseek(self._log_fd, self._offset, os.SEEK_SET)
        chunks = []
        while chunk := os.read(self._log_fd, 1 << 20):
            chunks.append(chunk)
        tail = b"".join(chunks)
        good: list[bytes] = []
        bad_at: list[int] = []
        position = 0
        for line in tail.splitlines(keepends=True):
            entries = decode_line(line)
            if entries is None:
                bad_at.append(self._offset + position)
            else:
                for entry in entries:
                    self._apply(entry)
                good.append(line)
            position += len(line)
        if not bad_at:
            self._offset += len(tail)
            return
        last_line_start = self._offset + tail.rstrip(b"\n").rfind(b"\n") + 1
        self._repair(good, bad_at, torn_tail_only=bad_at == [last_line_start])

    def _apply(self, entry: dict[str, Any]) -> None:
        table = entry["t"]
        if entry.get("drop"):
            self._data.pop(table, None)
            self._shadow.pop(table, None)
            self._shadow_src.pop(table, None)
        else:
            docs = self._data.setdefault(table, {})
            shadow = self._shadow.setdefault(table, {})
            for doc_id, doc in (entry.get("u") or {}).items():
                docs[doc_id] = doc
                shadow[doc_id] = dict(doc)
            for doc_id in entry.get("d") or ():
                docs.pop(doc_id, None)
                shadow.pop(doc_id, None)
            self._data[table] = docs
            self._shadow_src[table] = docs
        self._note_change(entry)

    def _note_change(self, entry: dict[str, Any]) -> None:
        """Tell the owner which documents an entry upserted (a drop or delete: the table)."""
        table = entry["t"]
        if entry.get("drop") or entry.get("d"):
            self.changed[table] = None
        elif table not in self.changed:
            self.changed[table] = set(entry.get("u") or ())
        elif (known := self.changed[table]) is not None:
            known.update(entry.get("u") or ())

    def _repair(self, good: list[bytes], bad_at: list[int], torn_tail_only: bool) -> None:
        """Keep the damaged log aside, then rewrite it with only its intact lines."""
        kept = self._keep_aside(self._log_path)
        os.lseek(self._log_fd, 0, os.SEEK_SET)
        head = os.read(self._log_fd, self._offset) if self._offset else b""
        clean = head + b"".join(good)
        tmp = self._log_path.with_suffix(".repair")
        with open(tmp, "wb") as out:
            out.write(clean)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self._log_path)
        fsync_directory(self.directory)
        os.close(self._log_fd)
        self._log_fd = os.open(self._log_path, os.O_RDWR | os.O_APPEND)
        self._offset = len(clean)
        where = ", ".join(str(offset) for offset in bad_at[:5])
        if torn_tail_only:
            self.recovery.report(
                f"{self._log_path.name}: discarded an incomplete last write at byte {where} "
                f"(a save interrupted before it was confirmed); a copy is kept at {kept}"
            )
        else:
            self.recovery.report(
                f"{self._log_path.name}: {len(bad_at)} damaged line(s) at byte(s) {where}; "
                f"every intact record was recovered; the damaged file is kept at {kept}"
            )

    def _keep_aside(self, path: Path) -> Path:
        aside = self.directory / "damaged"
        aside.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = aside / f"{path.name}.{stamp}"
        shutil.copy2(path, target)
        with open(target, "rb") as kept:  # the evidence must outlive a power cut too
            os.fsync(kept.fileno())
        fsync_directory(aside)
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

    def compact(self) -> None:
        """Write the whole state as a new snapshot generation and start an empty log."""
        with self.transaction():
            new_generation = self._generation + 1
            snapshot_bytes = write_snapshot(self.directory, new_generation, self._data)
            new_log = self.directory / f"log-{new_generation:06d}.jsonl"
            try:
                fd = os.open(new_log, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    fsync_directory(self.directory)
                except OSError:
                    os.close(fd)
                    raise
            except OSError as exc:
                raise StoreWriteError(_describe_os_error(exc, new_log)) from exc
            os.close(self._log_fd)
            self._log_fd = fd
            self._generation = new_generation
            self._offset = 0
            self._snapshot_bytes = snapshot_bytes
            self._remove_stale_generations()

    def _remove_stale_generations(self) -> None:
        """Delete older generations and temp files an interrupted compaction left behind."""
        for path in self.directory.iterdir():
            match = LOG_NAME.match(path.name) or SNAPSHOT_NAME.match(path.name)
            stale = match is not None and int(match.group(1)) != self._generation
            if stale or path.suffix in (".tmp", ".repair"):
                with contextlib.suppress(OSError):
                    path.unlink()

    @property
    def log_bytes(self) -> int:
        return self._offset


def write_snapshot(directory: Path, generation: int, tables: Tables) -> int:
    """Write ``tables`` as the snapshot of ``generation`` durably; returns its body's size.

    A temp file, fsync, rename, fsync of the directory: a crash leaves either the
    old files or the complete new snapshot, never a half-written one. The
    generation is only used once its (empty) log exists.
    """
    body = json.dumps(tables, ensure_ascii=False, separators=(",", ":")).encode()
    header = b"%s %08x %d\n" % (SNAPSHOT_MAGIC, zlib.crc32(body), len(body))
    target = directory / f"snapshot-{generation:06d}.json"
    tmp = target.with_suffix(".tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(header + body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        fsync_directory(directory)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreWriteError(_describe_os_error(exc, target)) from exc
    return len(body)


def _describe_os_error(exc: OSError, path: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (
            f"the disk is full: could not save to {path}; free some space (nothing saved is lost)"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot write to {path} ({exc.strerror}); check the data directory's permissions"
    return f"could not save to {path}: {exc.strerror or exc} (nothing saved is lost)"
