"""Ideas the collector received, as organisers follow them up: status, public answer, history.

The idea itself stays the stored record (never changed); what organisers add lives in
``web_ideas`` beside it, and every change is a row of ``web_idea_history`` (who, when, which
field, from what to what). All the SQL of ideas is here, none in the web code, so the tables
can be ported to another database in one place.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.collector.database import Database
from kiosk.records import now_iso

if TYPE_CHECKING:
    from kiosk.collector.storage import CollectorStorage

#: The schema version that made the tables and the JSON indexes (:mod:`kiosk.collector.migrations`).
IDEAS_VERSION = 3

#: The statuses an idea can have unless the organiser gives a list of their own; their
#: words are in the web copy (``status.<id>``). The first is what a new idea has.
DEFAULT_STATUSES = ("modtaget", "under_behandling", "sendt_videre", "gennemfoert", "ikke_muligt")
#: Longest public answer kept, per language.
ANSWER_MAX = 4000
PAGE_SIZE = 200


@dataclass(frozen=True)
class Status:
    """A status an idea can have; ``labels`` only for an organiser's own statuses."""

    id: str
    labels: dict[str, str] = field(default_factory=dict)


def default_statuses() -> list[Status]:
    return [Status(s) for s in DEFAULT_STATUSES]


class StatusFileError(ValueError):
    """The organiser's status file cannot be used; the message names the file and the fix."""


def load_statuses(path: Path) -> list[Status]:
    """An organiser's own statuses from a TOML file::

    [[status]]
    id = "modtaget"
    da = "Modtaget"
    en = "Received"
    """
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise StatusFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise StatusFileError(f"{path}: not TOML ({exc})") from None
    entries = data.get("status")
    if not isinstance(entries, list) or not entries:
        raise StatusFileError(
            f'{path}: give at least one [[status]] table with id = "...", da = "...", en = "..."'
        )
    statuses: list[Status] = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise StatusFileError(f"{path}: status {n} is not a table")
        sid, da, en = entry.get("id"), entry.get("da"), entry.get("en")
        if not (isinstance(sid, str) and sid.strip() and len(sid) <= 60):
            raise StatusFileError(f"{path}: status {n} needs an id (a text of 1 to 60 characters)")
        if not (isinstance(da, str) and da.strip()):
            raise StatusFileError(f'{path}: status {n} ({sid}) needs a Danish text: da = "..."')
        if any(s.id == sid for s in statuses):
            raise StatusFileError(f"{path}: status id {sid!r} appears twice")
        statuses.append(Status(sid, {"da": da, "en": en if isinstance(en, str) and en else da}))
    return statuses


@dataclass(frozen=True)
class Idea:
    """An idea card as organisers and visitors see it (no contact details: never shown)."""

    record_id: str
    ref: str | None
    survey_id: str
    kiosk_id: str
    theme: str
    title: str
    description: str
    lang: str
    submitted_at: str
    status: str
    answer_da: str
    answer_en: str
    hidden: bool
    on_board: bool
    updated_at: str | None
    updated_by: str | None

    @property
    def date(self) -> str:
        return self.submitted_at[:10]

    def answer(self, lang: str) -> str:
        """The public answer in ``lang``, else the Danish one."""
        return (self.answer_en if lang == "en" else "") or self.answer_da


@dataclass(frozen=True)
class Change:
    at: str
    account: str
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class RefLookup:
    """What a reference code leads to: an idea, a survey response, or nothing known yet."""

    kind: str  # "idea", "response" or "unknown"
    idea: Idea | None = None
    survey_id: str | None = None


#: The class of PostgreSQL advisory lock an idea's update takes (any number of our own).
_IDEA_LOCK = 7_461_016
_IDEA_COLUMNS = (
    "r.id, r.body, COALESCE(w.status, %s), COALESCE(w.answer_da, ''), "
    "COALESCE(w.answer_en, ''), COALESCE(w.hidden, FALSE), COALESCE(w.on_board, FALSE), "
    "w.updated_at, w.updated_by"
)


def _field(db: Database, *path: str) -> str:
    """A field of the record body ``r.body`` (the spelling the indexes of migration 3 use)."""
    return db.json_field("r.body", *path)


def _is_idea(db: Database) -> str:
    return f"{_field(db, 'kind')} = 'idea'"


def _idea(row: tuple[Any, ...]) -> Idea:
    record_id, body, status, answer_da, answer_en, hidden, on_board, updated_at, by = row
    record = json.loads(body)
    idea = record.get("idea") if isinstance(record.get("idea"), dict) else {}
    return Idea(
        record_id=record_id,
        ref=record.get("ref") if isinstance(record.get("ref"), str) else None,
        survey_id=str(record.get("survey_id", "")),
        kiosk_id=str(record.get("kiosk_id", "")),
        theme=str(idea.get("theme") or ""),
        title=str(idea.get("title") or ""),
        description=str(idea.get("description") or ""),
        lang=str(record.get("lang", "")),
        submitted_at=str(record.get("submitted_at") or record.get("started_at") or ""),
        status=status,
        answer_da=answer_da,
        answer_en=answer_en,
        hidden=bool(hidden),
        on_board=bool(on_board),
        updated_at=updated_at,
        updated_by=by,
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_ideas(
    storage: CollectorStorage,
    *,
    default_status: str = DEFAULT_STATUSES[0],
    theme: str | None = None,
    status: str | None = None,
    date: str | None = None,
    search: str | None = None,
    survey_id: str | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> tuple[list[Idea], int]:
    """Ideas matching every filter given, the newest first, and how many match in all."""
    db = storage.db
    where = [_is_idea(db)]
    args: list[Any] = []
    if theme:
        where.append(f"{_field(db, 'idea', 'theme')} = %s")
        args.append(theme)
    if status:
        where.append("COALESCE(w.status, %s) = %s")
        args += [default_status, status]
    if date:
        where.append(f"substr(COALESCE({_field(db, 'submitted_at')}, ''), 1, 10) = %s")
        args.append(date)
    if survey_id:
        where.append("r.survey_id = %s")
        args.append(survey_id)
    if search and search.strip():
        pattern = _like(search.strip().lower())
        where.append(
            "("
            + " OR ".join(
                f"{db.lower(_field(db, *path))} LIKE %s ESCAPE '\\'"
                for path in (("idea", "title"), ("idea", "description"), ("ref",))
            )
            + ")"
        )
        args += [pattern, pattern, pattern]
    sql_from = " FROM records r LEFT JOIN web_ideas w ON w.record_id = r.id WHERE " + " AND ".join(
        where
    )
    total = int(db.query("SELECT count(*)" + sql_from, args)[0][0])
    # SQLite puts NULL last in a descending order, PostgreSQL first: say it
    nulls = " NULLS LAST" if db.dialect == "postgresql" else ""
    rows = db.query(
        f"SELECT {_IDEA_COLUMNS}{sql_from} "
        f"ORDER BY {_field(db, 'submitted_at')} DESC{nulls}, r.{db.arrival} DESC "
        "LIMIT %s OFFSET %s",
        [default_status, *args, limit, offset],
    )
    return [_idea(row) for row in rows], total


def idea_themes(storage: CollectorStorage) -> list[str]:
    """The themes ideas were filed under, for the list's filter."""
    db = storage.db
    theme = _field(db, "idea", "theme")
    rows = db.query(
        f"SELECT DISTINCT {theme} FROM records r "
        f"WHERE {_is_idea(db)} AND {theme} IS NOT NULL ORDER BY 1"
    )
    return [str(row[0]) for row in rows]


def _get_idea(run: Any, db: Database, record_id: str, default_status: str) -> Idea | None:
    rows = run(
        f"SELECT {_IDEA_COLUMNS} FROM records r LEFT JOIN web_ideas w "
        f"ON w.record_id = r.id WHERE r.id = %s AND {_is_idea(db)}",
        (default_status, record_id),
    )
    return _idea(rows[0]) if rows else None


def get_idea(
    storage: CollectorStorage, record_id: str, default_status: str = DEFAULT_STATUSES[0]
) -> Idea | None:
    return _get_idea(storage.db.query, storage.db, record_id, default_status)


def lookup_ref(
    storage: CollectorStorage, ref: str, default_status: str = DEFAULT_STATUSES[0]
) -> RefLookup:
    """What the reference code ``ref`` belongs to (the first record holding it)."""
    db = storage.db
    rows = db.query(
        f"SELECT {_IDEA_COLUMNS}, {_field(db, 'kind')} FROM records r "
        "LEFT JOIN web_ideas w ON w.record_id = r.id "
        f"WHERE {_field(db, 'ref')} = %s ORDER BY r.{db.arrival} LIMIT 1",
        (default_status, ref),
    )
    if not rows:
        return RefLookup("unknown")
    row = rows[0]
    idea = _idea(row[:-1])
    if row[-1] == "idea":
        return RefLookup("idea", idea, idea.survey_id)
    return RefLookup("response", None, idea.survey_id)


def update_idea(
    storage: CollectorStorage,
    record_id: str,
    account: str,
    *,
    status: str | None = None,
    answer_da: str | None = None,
    answer_en: str | None = None,
    hidden: bool | None = None,
    on_board: bool | None = None,
    default_status: str = DEFAULT_STATUSES[0],
) -> list[str]:
    """Change what is given (None: leave it) and keep a history row per changed field, all in
    one transaction; the names of the fields that changed. KeyError when no such idea."""
    db = storage.db
    now = now_iso()
    wanted: dict[str, Any] = {
        "status": status,
        "answer_da": None if answer_da is None else answer_da[:ANSWER_MAX],
        "answer_en": None if answer_en is None else answer_en[:ANSWER_MAX],
        "hidden": None if hidden is None else int(hidden),
        "on_board": None if on_board is None else int(on_board),
    }
    changed: list[str] = []
    # read, compare and write in one transaction: two organisers saving at once each see
    # the other's change and the history holds both
    with db.transaction() as tx:
        if db.dialect == "postgresql":
            # SQLite's BEGIN IMMEDIATE holds the write lock already; here two workers saving the
            # same idea at once queue on this lock, so the second compares with the first's save
            tx.execute(
                "SELECT pg_advisory_xact_lock(%s::integer, hashtext(%s))", (_IDEA_LOCK, record_id)
            )
        current = _get_idea(tx.execute, db, record_id, default_status)
        if current is None:
            raise KeyError(record_id)
        before: dict[str, Any] = {
            "status": current.status,
            "answer_da": current.answer_da,
            "answer_en": current.answer_en,
            "hidden": int(current.hidden),
            "on_board": int(current.on_board),
        }
        after = dict(before)
        for name, value in wanted.items():
            if value is not None and value != before[name]:
                after[name] = value
                changed.append(name)
                tx.execute(
                    "INSERT INTO web_idea_history (record_id, at, account, field, old, new) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    (record_id, now, account, name, str(before[name]), str(value)),
                )
        if changed:
            tx.execute(
                "INSERT INTO web_ideas (record_id, status, answer_da, answer_en, hidden, "
                "on_board, updated_at, updated_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (record_id) DO UPDATE SET status = excluded.status, "
                "answer_da = excluded.answer_da, answer_en = excluded.answer_en, "
                "hidden = excluded.hidden, on_board = excluded.on_board, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (
                    record_id,
                    after["status"],
                    after["answer_da"],
                    after["answer_en"],
                    bool(after["hidden"]),
                    bool(after["on_board"]),
                    now,
                    account,
                ),
            )
    return changed


def idea_history(storage: CollectorStorage, record_id: str) -> list[Change]:
    """Every change of an idea, the newest first."""
    rows = storage.db.query(
        "SELECT at, account, field, old, new FROM web_idea_history WHERE record_id = %s "
        "ORDER BY id DESC",
        (record_id,),
    )
    return [Change(*row) for row in rows]


def board_ideas(
    storage: CollectorStorage, survey_id: str, default_status: str = DEFAULT_STATUSES[0]
) -> list[Idea]:
    """The ideas of ``survey_id`` an organiser approved for the live board and did not hide,
    the most recently approved first (for the board page)."""
    db = storage.db
    # web_ideas first (CROSS JOIN fixes SQLite's join order; PostgreSQL plans it alike): the
    # few ideas on the board, then their records by id, not every record of the survey
    rows = db.query(
        f"SELECT {_IDEA_COLUMNS} FROM web_ideas w CROSS JOIN records r "
        f"WHERE w.record_id = r.id AND r.survey_id = %s AND {_is_idea(db)} "
        "AND w.on_board AND NOT w.hidden ORDER BY w.updated_at DESC",
        (default_status, survey_id),
    )
    return [_idea(row) for row in rows]
