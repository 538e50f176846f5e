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


def read_collector_db(target: str | os.PathLike[str]) -> CollectorData:
    """The records and survey definitions of a collector database (a SQLite file or a
    ``postgresql://`` URL), opened read-only.

    Read-only: a report or an export never writes the collector's data (not even a schema
    version), and works beside a running collector. Records are cleaned on the way out as
    ``kiosk collector export`` cleans them. A database of a collector from before
    definitions (schema version 1) has none; the results then name the missing ones.
    """
    from kiosk.collector.database import DatabaseNewer, describe, is_postgres_url
    from kiosk.collector.definitions import DEFINITIONS_VERSION, iter_definitions
    from kiosk.collector.storage import CollectorBusy, CollectorStorage
    from kiosk.sanitize import clean_record

    name = describe(target)
    if not is_postgres_url(target) and not Path(target).is_file():
        raise NotACollectorDatabase(f"{name} does not exist: give the collector's --db file")
    data = CollectorData()
    try:
        storage = CollectorStorage(target, readonly=True)
    except DatabaseNewer as exc:
        raise NotACollectorDatabase(f"{name}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise NotACollectorDatabase(f"{name} is not a collector database ({exc})") from None
    except CollectorBusy as exc:
        raise NotACollectorDatabase(f"{name} cannot be read now ({exc}); try again") from None
    except Exception as exc:  # psycopg's errors, when the server cannot be reached
        raise NotACollectorDatabase(f"{name} cannot be opened ({type(exc).__name__})") from None
    try:
        try:
            bodies = list(storage.iter_bodies())
            kept = (
                list(iter_definitions(storage.db))
                if storage.db.schema_version() >= DEFINITIONS_VERSION
                else []
            )
        except sqlite3.DatabaseError as exc:
            raise NotACollectorDatabase(f"{name} is not a collector database ({exc})") from None
        for body in bodies:
            try:
                record = json.loads(body)
            except ValueError:
                data.problems.append(f"{name}: a stored record is not JSON, left out")
                continue
            if isinstance(record, dict):
                data.records.append(clean_record(record))
        found, unusable = parse_definitions(kept)
        data.definitions += found
        data.problems += [f"{name}: {problem}" for problem in unusable]
    finally:
        storage.close()
    return data


def parse_definitions(
    kept: Iterable[tuple[str, str]],
) -> tuple[list[tuple[str, Survey]], list[str]]:
    """The usable surveys among (hash, JSON body) pairs a collector stored, and one line per
    body left out (not JSON, not a survey, or not the definition of its hash)."""
    from kiosk.survey.loader import definition_hash

    found: list[tuple[str, Survey]] = []
    problems: list[str] = []
    for digest, body in kept:
        try:
            dumped = json.loads(body)
            if definition_hash(dumped) != digest:
                raise ValueError("not the definition of its hash")
            found.append((digest, Survey.model_validate(dumped)))
        except (ValueError, ValidationError, RecursionError) as exc:
            problems.append(
                f"the definition stored under hash {str(digest)[:12]}… cannot be used, left "
                f"out ({type(exc).__name__})"
            )
    return found, problems
