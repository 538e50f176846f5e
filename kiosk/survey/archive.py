"""Every survey definition a kiosk has run, kept in its data directory by survey hash.

Results need the texts visitors saw, for the exact version they answered. A survey file may
be edited or lost after the event; the copy in ``DATA/surveys/<survey_hash>.json`` (the
parsed survey, written once, atomically) is not. ``kiosk report`` and ``kiosk export
--format xlsx`` read these copies besides the survey files they are given.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pydantic import ValidationError

from kiosk.survey.model import Survey

FOLDER = "surveys"
_HASH = re.compile(r"^[0-9a-f]{64}$")


def keep_definition(data_dir: Path, survey: Survey, digest: str) -> bool:
    """Write ``survey`` as ``DATA/surveys/<digest>.json`` unless it is there; True if written.

    Raises OSError (a full disk, a read-only stick): the caller logs it and runs on.
    """
    folder = data_dir / FOLDER
    path = folder / f"{digest}.json"
    if path.exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(survey.model_dump(mode="json", by_alias=True), ensure_ascii=False)
    temporary = folder / f".{digest}.{os.getpid()}.tmp"
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return True


def kept_definitions(data_dir: Path) -> tuple[list[tuple[str, Survey]], list[str]]:
    """The (hash, survey) pairs kept in ``data_dir``, and one line per file left out.

    Read only; a file that is not a survey (damaged, or put there by hand) is named and
    left out, never deleted.
    """
    folder = data_dir / FOLDER
    found: list[tuple[str, Survey]] = []
    problems: list[str] = []
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.glob("*.json")):
        if not _HASH.match(path.stem):
            continue
        try:
            survey = Survey.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError) as exc:
            problems.append(
                f"{path}: not a kept survey definition, left out ({type(exc).__name__})"
            )
            continue
        found.append((path.stem, survey))
    return found, problems
