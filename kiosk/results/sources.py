"""Where the results get their records and survey definitions (kiosk data directories, a
collector database, survey files) and write their files: the I/O part."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from kiosk.results.model import Definitions
from kiosk.survey.model import Survey


def load_definitions(files: Iterable[Path]) -> tuple[Definitions, list[str]]:
    """The valid surveys among ``files``, and one line per file that could not be used."""
    from kiosk.survey import SurveyError, load_survey

    definitions = Definitions()
    problems: list[str] = []
    for path in files:
        try:
            definitions.add(load_survey(path))
        except SurveyError as exc:
            first = str(exc).splitlines()[0] if str(exc) else str(path)
            problems.append(f"{path}: not a valid survey, left out ({first})")
        except OSError as exc:
            problems.append(f"{path}: cannot be read, left out ({exc.strerror})")
    return definitions, problems


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` through a temporary file beside it, renamed into place when complete.

    A reader (or Excel, or a browser) never sees half a file, and a failed run leaves
    the previous file as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); the result is an ordinary document
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class NotACollectorDatabase(Exception):
    """The file is missing, not SQLite, or holds no collector records table."""


@dataclass
class CollectorData:
    """What the results read from a collector database: records and the definitions kept."""

    records: list[dict[str, Any]] = field(default_factory=list)
    definitions: list[tuple[str, Survey]] = field(default_factory=list)
    #: One line per stored definition that could not be used (left out, never changed).
    problems: list[str] = field(default_factory=list)


def read_collector_db(path: Path) -> CollectorData:
    """The records and survey definitions of a collector database, opened read-only.

    SQLite's ``mode=ro``: a report or an export never writes the collector's data, and
    works beside a running collector (WAL). Records are cleaned on the way out as
    ``kiosk collector export`` cleans them. A database of a collector from before
    definitions has none; the results then name the missing ones.
    """
    from kiosk.collector.definitions import iter_definitions
    from kiosk.collector.export import clean_record
    from kiosk.survey.loader import definition_hash

    if not path.is_file():
        raise NotACollectorDatabase(f"{path} does not exist: give the collector's --db file")
    data = CollectorData()
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise NotACollectorDatabase(f"{path} cannot be opened ({exc})") from None
    try:
        try:
            rows = conn.execute("SELECT body FROM records ORDER BY rowid").fetchall()
        except sqlite3.DatabaseError as exc:
            raise NotACollectorDatabase(f"{path} is not a collector database ({exc})") from None
        for (body,) in rows:
            try:
                record = json.loads(body)
            except ValueError:
                data.problems.append(f"{path}: a stored record is not JSON, left out")
                continue
            if isinstance(record, dict):
                data.records.append(clean_record(record))
        for digest, body in iter_definitions(conn):
            short = str(digest)[:12]
            try:
                dumped = json.loads(body)
                if definition_hash(dumped) != digest:
                    raise ValueError("not the definition of its hash")
                data.definitions.append((digest, Survey.model_validate(dumped)))
            except (ValueError, ValidationError, RecursionError) as exc:
                data.problems.append(
                    f"{path}: the definition stored under hash {short}… cannot be used, left "
                    f"out ({type(exc).__name__})"
                )
    finally:
        conn.close()
    return data
