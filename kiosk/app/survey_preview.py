"""What the welcome screen needs of a survey, cached, so it is drawn before pydantic loads.

Validating a survey means importing the pydantic models, about a third of the kiosk's
cold start. A survey file that validated before, byte for byte the same (SHA-256), gets its
title, intro, languages and whether it has idea cards from ``DATA/survey-previews.json``;
the full survey is loaded right after the first screen is drawn. A changed or new file is
validated before the screen opens, as always, so a broken file still stops ``kiosk run``
with its problems.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.survey.model import Survey

CACHE_FILE = "survey-previews.json"


@dataclass(frozen=True)
class SurveyPreview:
    """Title, intro and languages of a survey file that validated before."""

    path: Path
    id: str
    title: str | dict[str, str]
    intro: str | dict[str, str]
    languages: list[str]
    has_ideas: bool

    def load(self) -> Survey:
        """The full, validated survey (raises SurveyError if the file broke since)."""
        from kiosk.survey import load_survey

        return load_survey(self.path)


class PreviewCache:
    """``DATA/survey-previews.json``: file path -> content hash and preview."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / CACHE_FILE

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # no cache, or a damaged one: validate as if new
        return data if isinstance(data, dict) else {}

    def get(self, survey_path: Path) -> SurveyPreview | None:
        key = str(survey_path.resolve())
        entry = self._read().get(key)
        if not isinstance(entry, dict):
            return None
        try:
            if entry.get("sha256") != _digest(survey_path):
                return None
            return SurveyPreview(
                path=survey_path.resolve(),
                id=entry["id"],
                title=entry["title"],
                intro=entry["intro"],
                languages=list(entry["languages"]),
                has_ideas=bool(entry["has_ideas"]),
            )
        except (OSError, KeyError, TypeError):
            return None

    def put(self, survey_path: Path, survey: Survey) -> None:
        """Remember a survey that validated; failing to write only costs speed next time."""
        data = self._read()
        data[str(survey_path.resolve())] = {
            "sha256": _digest(survey_path),
            "id": survey.id,
            "title": survey.title,
            "intro": survey.intro,
            "languages": list(survey.languages),
            "has_ideas": has_ideas(survey),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass


def has_ideas(survey: SurveyPreview | Any) -> bool:
    """Whether the welcome screen offers an idea card for this survey (or its preview)."""
    if isinstance(survey, SurveyPreview):
        return survey.has_ideas
    return survey.ideas is not None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
