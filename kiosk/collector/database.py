"""The collector's two databases behind one small interface: SQLite (a file, the default, right
for one event) and PostgreSQL (a municipality's server, several collector workers).

Table modules (kiosk/collector/storage.py is the first) write their SQL once, with ``%s``
placeholders, and run it through :meth:`Database.transaction` or :meth:`Database.query`; the
SQLite side turns ``%s`` into ``?``. Where the two dialects differ (DDL, a bulk insert) the
module asks :attr:`Database.dialect`. Both raise :class:`CollectorBusy` when the database cannot
answer now (locked, restarting, unreachable): the web layer replies 503 + Retry-After and the
kiosk sends again, which is safe because every write is keyed by the record id.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kiosk.collector.migrations import LATEST, MIGRATIONS
from kiosk.records import now_iso

#: Where ``kiosk collector`` reads the database when --db is not given.
DB_ENV = "KIOSK_COLLECTOR_DB"
#: Any number, the same in every collector: serialises migrations across workers and machines.
_MIGRATION_LOCK = 7_461_015


class CollectorBusy(Exception):
    """The database cannot answer now (locked, restarting): the kiosk should retry later."""


class DatabaseNewer(Exception):
    """The database holds a schema version this collector does not know."""


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def describe(target: str | os.PathLike[str]) -> str:
    """``target`` for a message: a PostgreSQL URL without its password."""
    text = str(target)
    if not is_postgres_url(text):
        return text
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(text)
    except Exception:  # a malformed URL: say so without echoing it
        return "postgresql://(unreadable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class Transaction(ABC):
    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; the rows it returns (none for most writes)."""


class Database(ABC):
    """A connection source for one collector database; thread-safe."""

    #: "sqlite" or "postgresql": for the few statements the dialects spell differently.
    dialect: str

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager yielding a :class:`Transaction`, committed when the block ends
        (before the caller replies to anyone), rolled back if it raises."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read outside any caller's transaction."""
        with self.transaction() as tx:
            return tx.execute(sql, params)

    @abstractmethod
    def close(self) -> None: ...

    #: The column that gives records their arrival order ("rowid" on SQLite, "seq" here).
    arrival: str = "rowid"

    def json_field(self, column: str, *path: str) -> str:
        """SQL for the text of field ``path`` (keys, outermost first) of the JSON ``column``:
        the one spelling the table modules and their expression indexes share."""
        if self.dialect == "postgresql":
            inner = "".join(f" -> '{key}'" for key in path[:-1])
            return f"({column}::jsonb{inner} ->> '{path[-1]}')"
        return f"json_extract({column}, '$.{'.'.join(path)}')"

    def lower(self, expr: str) -> str:
        """SQL for ``expr`` in lower case for every letter, as Python's ``str.lower`` has it:
        "Æblehaven" is found by "æble". SQLite's lower() and PostgreSQL's under the C locale
        know only A-Z, so SQLite calls Python (:func:`_unicode_lower`) and PostgreSQL ICU's
        root collation (in every Debian, Ubuntu and official Docker build)."""
        if self.dialect == "postgresql":
            return f'lower(({expr}) COLLATE "und-x-icu")'
        return f"unicode_lower({expr})"

    def schema_version(self) -> int:
        """The newest migration applied (0: a new or pre-versioning database); writes nothing."""
        if not self.query(self._versions_table_sql):
            return 0
        return int(self.query("SELECT max(version) FROM schema_migrations")[0][0] or 0)

    #: A query with a row when schema_migrations exists.
    _versions_table_sql = ""

    def _version(self, tx: Transaction) -> int:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        rows = tx.execute("SELECT max(version) FROM schema_migrations")
        return int(rows[0][0] or 0)

    @abstractmethod
    def _lock_for_migrations(self, tx: Transaction) -> None:
        """Keep two collectors from migrating at once."""

    def migrate(self) -> list[int]:
        """Apply every missing migration in one transaction; the versions applied.

        Raises :class:`DatabaseNewer` on a database newer than this code.
        """
        with self.transaction() as tx:
            self._lock_for_migrations(tx)
            current = self._version(tx)
            if current > LATEST:
                raise DatabaseNewer(newer_message(current))
            applied = []
            for migration in MIGRATIONS[current:]:
                for statement in migration.sql(self.dialect):
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, now_iso()),
                )
                applied.append(migration.version)
            return applied


def newer_message(version: int) -> str:
    return (
        f"the database has schema version {version}, newer than this collector knows "
        f"(version {LATEST}): a newer Borgerkiosk wrote it; upgrade Borgerkiosk here, "
        "never run an older collector on it"
    )


class _SQLiteTx(Transaction):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(sql.replace("%s", "?").replace("%%", "%"), tuple(params))
        return cursor.fetchall() if cursor.description else []


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class SQLiteDatabase(Database):
    """WAL with ``synchronous=FULL``: a committed batch is on disk before the reply leaves.
    One connection per thread; a write transaction takes the lock at once (BEGIN IMMEDIATE)."""

    dialect = "sqlite"
    _versions_table_sql = "SELECT name FROM sqlite_master WHERE name = 'schema_migrations'"

    def __init__(
        self, path: str | os.PathLike[str], *, busy_timeout: float = 2.0, readonly: bool = False
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.readonly = readonly
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writer = threading.Lock()
        if not readonly and self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.readonly:  # never creates, never writes: export, import's source
                if not self.path.is_file():
                    raise sqlite3.OperationalError(f"no such database file: {self.path}")
                # a running (or killed) collector's WAL is read as it is (mode=ro): an
                # ordinary connection's close would checkpoint it into the file, rewriting
                # it; without a WAL, not mode=ro, which would leave a -shm file behind
                live_wal = Path(f"{self.path}-wal").exists()
                conn = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro" if live_wal else self.path,
                    uri=live_wal,
                    timeout=self.busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
                conn.execute("PRAGMA query_only=ON")
            else:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self.busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
            conn.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        conn = self._conn()
        writing = not self.readonly
        # this process's writers queue on a lock, handed over the moment a commit ends;
        # SQLite's own busy handler (left for other processes) sleeps in steps of up to 100 ms
        if writing and not self._writer.acquire(timeout=self.busy_timeout):
            raise CollectorBusy("database is locked: another write took too long")
        try:
            conn.execute("BEGIN IMMEDIATE" if writing else "BEGIN")
            try:
                yield _SQLiteTx(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if _sqlite_busy(exc):
                raise CollectorBusy(str(exc)) from exc
            raise
        finally:
            if writing:
                self._writer.release()

    def _lock_for_migrations(self, tx: Transaction) -> None:
        """BEGIN IMMEDIATE took the write lock already."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return _SQLiteTx(self._conn()).execute(sql, params)
        except sqlite3.OperationalError as exc:
            if _sqlite_busy(exc):
                raise CollectorBusy(str(exc)) from exc
            raise

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


class _PostgresTx(Transaction):
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(sql, tuple(params) or None)
        return cursor.fetchall() if cursor.description else []


class PostgresDatabase(Database):
    """A psycopg 3 connection pool. A transaction commits (``synchronous_commit`` as the server
    has it, on by default: on disk) before the block ends. A connection lost to a restart is
    found by the pool's check at checkout; one lost mid-transaction is a :class:`CollectorBusy`
    (the kiosk re-sends; the record id keeps it from being stored twice)."""

    dialect = "postgresql"
    arrival = "seq"
    _versions_table_sql = "SELECT 1 WHERE to_regclass('schema_migrations') IS NOT NULL"

    def __init__(
        self, url: str, *, max_size: int = 20, timeout: float = 5.0, lock_timeout_ms: int = 2000
    ) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool

        self.url = url
        self._errors: tuple[type[BaseException], ...] = (
            psycopg.OperationalError,
            psycopg.errors.AdminShutdown,
        )
        try:
            self.pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                timeout=timeout,
                # a lock held elsewhere (a long report, a migration) is a 503 after as long
                # as SQLite's busy timeout, not a request hanging for ever
                kwargs={"autocommit": True, "options": f"-c lock_timeout={lock_timeout_ms}"},
                check=ConnectionPool.check_connection,
                open=False,
            )
            self.pool.open(wait=True, timeout=timeout)
        except Exception as exc:
            raise CollectorBusy(f"cannot reach {describe(url)}: {_first_line(exc)}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection() as conn, conn.transaction():
                yield _PostgresTx(conn)
        except PoolTimeout as exc:
            raise CollectorBusy(f"no database connection: {_first_line(exc)}") from exc
        except self._errors as exc:
            raise CollectorBusy(f"database connection lost: {_first_line(exc)}") from exc

    def _lock_for_migrations(self, tx: Transaction) -> None:
        # two workers (or machines) starting at once: one migrates, the other then finds it done
        tx.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def close(self) -> None:
        self.pool.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def open_database(
    target: str | os.PathLike[str], *, pool_size: int = 20, readonly: bool = False
) -> Database:
    """The database at ``target``: a ``postgresql://`` URL, else a SQLite file path.

    ``readonly``: a SQLite file is opened read-only (never created); PostgreSQL is trusted to
    the caller, who then only reads.
    """
    if is_postgres_url(target):
        return PostgresDatabase(str(target), max_size=pool_size)
    return SQLiteDatabase(target, readonly=readonly)
