"""Making stored records safe to write out: ``kiosk collector export``'s defence in depth.

The collector refuses on arrival what the record schema refuses, but a database may hold
records stored before it did (or copied in from elsewhere). So on the way out every text,
keys included, goes through the kiosk's own sanitising, and a file name is built from a
slug that cannot name anything outside the output folder.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from kiosk.ids import SLUG_MAX_LENGTH, is_slug
from kiosk.sanitize import clean_text


def clean_record(value: Any) -> Any:
    """``value`` with every string (dict keys too) as the kiosk's clean_text leaves it.

    Multi-line texts keep their line breaks; nothing else is changed for a record a kiosk
    made, as the kiosk stored its texts cleaned already (cleaning is stable).
    """
    if isinstance(value, str):
        return clean_text(value, max(len(value), 1), multiline=True)
    if isinstance(value, dict):
        return {_clean_key(k): clean_record(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_record(v) for v in value]
    return value


def _clean_key(key: Any) -> str:
    text = str(key)
    return clean_text(text, max(len(text), 1)) or "_"


_UNSAFE_NAME_CHARS = re.compile(r"[^a-z0-9_-]+")


def safe_file_stem(survey_id: str) -> str:
    """A file name stem for a survey id: the id itself when it is a proper slug, else a
    slug of it with a short hash (two odd ids never share a file). Never empty, never
    ``.``/``..``, no separator."""
    if is_slug(survey_id):
        return survey_id
    slug = _UNSAFE_NAME_CHARS.sub("-", survey_id.lower()).strip("-_")[: SLUG_MAX_LENGTH - 9]
    digest = hashlib.sha256(survey_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug or 'survey'}-{digest}"


def output_file(folder: Path, survey_id: str, taken: set[str]) -> Path:
    """``folder/<stem>.csv`` for a survey, unique among ``taken`` (updated), inside ``folder``.

    Raises ValueError if the result would still lead elsewhere (a symlink in the folder).
    """
    stem = safe_file_stem(survey_id)
    name, n = f"{stem}.csv", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.csv"
    taken.add(name)
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise ValueError(f"{target} leads outside {folder}")
    return target
