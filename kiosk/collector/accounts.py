"""Organiser and viewer accounts of the collector's web side, their sessions and sign-in lockout.

All the SQL of accounts lives here (none in the web code), so the tables can be ported to
another database in one place. Passwords are stored as argon2id hashes (argon2-cffi: the
hash the Password Hashing Competition chose, salted, with its parameters in the hash so
they can be raised later); a session is a random token of which only a SHA-256 is stored,
so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from kiosk.collector.storage import CollectorStorage

ACCOUNTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('organiser', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    failed_signins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES web_accounts (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_account ON web_sessions (account);
CREATE TABLE IF NOT EXISTS web_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

Role = Literal["organiser", "viewer"]
ROLES: tuple[Role, ...] = ("organiser", "viewer")
#: Failed sign-ins in a row before an account is locked, and for how long.
MAX_FAILED_SIGNINS = 5
LOCKOUT = timedelta(minutes=15)
#: A session ends this long after sign-in, signed out or not.
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
NAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}\Z")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name takes as long as a wrong
    password. Made on first need: a hash takes argon2's 64 MiB for a moment, which a
    collector that never sees a sign-in should not have to spend."""
    return _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Account:
    """A signed-in person: who (for the history) and what they may do."""

    name: str
    role: Role

    @property
    def is_organiser(self) -> bool:
        return self.role == "organiser"


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: an account, or why not (``wrong`` or ``locked``)."""

    account: Account | None
    problem: Literal["wrong", "locked"] | None = None
    locked_minutes: int = 0


class AccountError(ValueError):
    """A name, role or password that cannot be used; the message says what to do."""


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def name_problem(name: str) -> str | None:
    if not NAME_PATTERN.match(name):
        return f"account name {name!r} must be 1 to 64 letters A-Z, digits or . _ @ - (no spaces)"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    return None


def add_account(storage: CollectorStorage, name: str, role: Role, password: str) -> Account:
    """Create an account; :class:`AccountError` when the name is taken or anything is unfit."""
    for problem in (name_problem(name), password_problem(password)):
        if problem:
            raise AccountError(problem)
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    try:
        storage.connection().execute(
            "INSERT INTO web_accounts (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (name, role, _hasher.hash(password), _iso(_now())),
        )
    except sqlite3.IntegrityError:
        raise AccountError(
            f"an account named {name!r} exists already: remove it first "
            "(kiosk collector user remove) or choose another name"
        ) from None
    return Account(name, role)


def list_accounts(storage: CollectorStorage) -> list[tuple[Account, str, bool]]:
    """Every account with its creation time and whether it is locked now, by name."""
    now = _iso(_now())
    rows = storage.connection().execute(
        "SELECT name, role, created_at, locked_until FROM web_accounts ORDER BY name"
    )
    return [
        (Account(name, role), created, bool(locked and locked > now))
        for name, role, created, locked in rows
    ]


def remove_account(storage: CollectorStorage, name: str) -> bool:
    """Remove an account and end its sessions; False when there was none of that name."""
    conn = storage.connection()
    conn.execute("DELETE FROM web_sessions WHERE account = ?", (name,))
    return conn.execute("DELETE FROM web_accounts WHERE name = ?", (name,)).rowcount > 0


def check_sign_in(storage: CollectorStorage, name: str, password: str) -> SignIn:
    """Check a name and password, counting failures; five in a row lock the account a while.

    An unknown name is answered exactly like a wrong password (and takes as long), so the
    sign-in form does not tell which names exist.
    """
    conn = storage.connection()
    row = conn.execute(
        "SELECT role, password_hash, failed_signins, locked_until FROM web_accounts WHERE name = ?",
        (name,),
    ).fetchone()
    now = _now()
    if row is None:
        _verify(_dummy_hash(), password)
        return SignIn(None, "wrong")
    role, stored, failed, locked_until = row
    if locked_until and locked_until > _iso(now):
        left = datetime.fromisoformat(locked_until) - now
        return SignIn(None, "locked", max(1, -(-int(left.total_seconds()) // 60)))
    if _verify(stored, password):
        conn.execute(
            "UPDATE web_accounts SET failed_signins = 0, locked_until = NULL WHERE name = ?",
            (name,),
        )
        if _hasher.check_needs_rehash(stored):
            conn.execute(
                "UPDATE web_accounts SET password_hash = ? WHERE name = ?",
                (_hasher.hash(password), name),
            )
        return SignIn(Account(name, role))
    failed += 1
    if failed >= MAX_FAILED_SIGNINS:
        conn.execute(
            "UPDATE web_accounts SET failed_signins = 0, locked_until = ? WHERE name = ?",
            (_iso(now + LOCKOUT), name),
        )
        return SignIn(None, "locked", int(LOCKOUT.total_seconds() // 60))
    conn.execute("UPDATE web_accounts SET failed_signins = ? WHERE name = ?", (failed, name))
    return SignIn(None, "wrong")


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start_session(storage: CollectorStorage, account: Account) -> str:
    """A new session for ``account``: the random token the cookie carries (only its hash is
    stored). Expired sessions are swept here, the one moment sessions are written."""
    token = secrets.token_urlsafe(32)
    now = _now()
    conn = storage.connection()
    conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (_iso(now),))
    conn.execute(
        "INSERT INTO web_sessions (token_hash, account, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)",
        (_token_hash(token), account.name, _iso(now), _iso(now + SESSION_LIFETIME)),
    )
    return token


def session_account(storage: CollectorStorage, token: str) -> Account | None:
    """The account a live session token belongs to, or None (unknown, expired, removed)."""
    row = (
        storage.connection()
        .execute(
            "SELECT a.name, a.role FROM web_sessions s JOIN web_accounts a ON a.name = s.account "
            "WHERE s.token_hash = ? AND s.expires_at > ?",
            (_token_hash(token), _iso(_now())),
        )
        .fetchone()
    )
    return Account(row[0], row[1]) if row else None


def end_session(storage: CollectorStorage, token: str) -> None:
    storage.connection().execute(
        "DELETE FROM web_sessions WHERE token_hash = ?", (_token_hash(token),)
    )


def secret_key(storage: CollectorStorage) -> str:
    """The key cookies and CSRF tokens are signed with: made once, kept in the database, so
    sessions survive a restart and every worker signs alike."""
    conn = storage.connection()
    conn.execute(
        "INSERT OR IGNORE INTO web_settings (key, value) VALUES ('secret_key', ?)",
        (secrets.token_hex(32),),
    )
    row = conn.execute("SELECT value FROM web_settings WHERE key = 'secret_key'").fetchone()
    return str(row[0])
