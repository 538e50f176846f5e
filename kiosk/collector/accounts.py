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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from kiosk.collector.storage import CollectorStorage

#: The schema version that made the tables (:mod:`kiosk.collector.migrations`).
ACCOUNTS_VERSION = 3

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
    with storage.db.transaction() as tx:
        made = tx.execute(
            "INSERT INTO web_accounts (name, role, password_hash, created_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING RETURNING name",
            (name, role, _hasher.hash(password), _iso(_now())),
        )
    if not made:
        raise AccountError(
            f"an account named {name!r} exists already: remove it first "
            "(kiosk collector user remove) or choose another name"
        )
    return Account(name, role)


def list_accounts(storage: CollectorStorage) -> list[tuple[Account, str, bool]]:
    """Every account with its creation time and whether it is locked now, by name."""
    now = _iso(_now())
    rows = storage.db.query(
        "SELECT name, role, created_at, locked_until FROM web_accounts ORDER BY name"
    )
    return [
        (Account(name, role), created, bool(locked and locked > now))
        for name, role, created, locked in rows
    ]


def remove_account(storage: CollectorStorage, name: str) -> bool:
    """Remove an account and end its sessions; False when there was none of that name."""
    with storage.db.transaction() as tx:
        tx.execute("DELETE FROM web_sessions WHERE account = %s", (name,))
        return bool(tx.execute("DELETE FROM web_accounts WHERE name = %s RETURNING name", (name,)))


def check_sign_in(storage: CollectorStorage, name: str, password: str) -> SignIn:
    """Check a name and password, counting failures; five in a row lock the account a while.

    An unknown name is answered exactly like a wrong password (and takes as long), so the
    sign-in form does not tell which names exist.
    """
    db = storage.db
    rows = db.query(
        "SELECT role, password_hash, locked_until FROM web_accounts WHERE name = %s", (name,)
    )
    now = _now()
    if not rows:
        _verify(_dummy_hash(), password)
        return SignIn(None, "wrong")
    role, stored, locked_until = rows[0]
    if locked_until and locked_until > _iso(now):
        left = datetime.fromisoformat(locked_until) - now
        return SignIn(None, "locked", max(1, -(-int(left.total_seconds()) // 60)))
    # argon2 takes a moment: verified outside any transaction, so no write waits for it
    if _verify(stored, password):
        with db.transaction() as tx:
            tx.execute(
                "UPDATE web_accounts SET failed_signins = 0, locked_until = NULL WHERE name = %s",
                (name,),
            )
            if _hasher.check_needs_rehash(stored):
                tx.execute(
                    "UPDATE web_accounts SET password_hash = %s WHERE name = %s",
                    (_hasher.hash(password), name),
                )
        return SignIn(Account(name, role))
    with db.transaction() as tx:
        # counted in the database, so failures on two workers at once both count
        counted = tx.execute(
            "UPDATE web_accounts SET failed_signins = failed_signins + 1 WHERE name = %s "
            "RETURNING failed_signins",
            (name,),
        )
        if counted and counted[0][0] >= MAX_FAILED_SIGNINS:
            tx.execute(
                "UPDATE web_accounts SET failed_signins = 0, locked_until = %s WHERE name = %s",
                (_iso(now + LOCKOUT), name),
            )
            return SignIn(None, "locked", int(LOCKOUT.total_seconds() // 60))
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
    stored). Expired sessions are swept here, the one moment sessions are written.

    An account removed between its password check and this moment gets no session row (the
    token then signs nobody in), rather than a foreign-key error on PostgreSQL."""
    token = secrets.token_urlsafe(32)
    now = _now()
    with storage.db.transaction() as tx:
        tx.execute("DELETE FROM web_sessions WHERE expires_at <= %s", (_iso(now),))
        tx.execute(
            "INSERT INTO web_sessions (token_hash, account, created_at, expires_at) "
            "SELECT %s, name, %s, %s FROM web_accounts WHERE name = %s",
            (_token_hash(token), _iso(now), _iso(now + SESSION_LIFETIME), account.name),
        )
    return token


def session_account(storage: CollectorStorage, token: str) -> Account | None:
    """The account a live session token belongs to, or None (unknown, expired, removed)."""
    rows = storage.db.query(
        "SELECT a.name, a.role FROM web_sessions s JOIN web_accounts a ON a.name = s.account "
        "WHERE s.token_hash = %s AND s.expires_at > %s",
        (_token_hash(token), _iso(_now())),
    )
    return Account(rows[0][0], rows[0][1]) if rows else None


def end_session(storage: CollectorStorage, token: str) -> None:
    with storage.db.transaction() as tx:
        tx.execute("DELETE FROM web_sessions WHERE token_hash = %s", (_token_hash(token),))


def secret_key(storage: CollectorStorage) -> str:
    """The key cookies and CSRF tokens are signed with: made once, kept in the database, so
    sessions survive a restart and every worker signs alike (the first to insert wins)."""
    with storage.db.transaction() as tx:
        tx.execute(
            "INSERT INTO web_settings (key, value) VALUES ('secret_key', %s) "
            "ON CONFLICT (key) DO NOTHING",
            (secrets.token_hex(32),),
        )
        rows = tx.execute("SELECT value FROM web_settings WHERE key = 'secret_key'")
    return str(rows[0][0])
