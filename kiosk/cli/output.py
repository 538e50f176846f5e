"""Where export files go: one file, stdout, or one file per survey inside a folder.

Shared by ``kiosk export`` and ``kiosk collector export``. A survey's file name is built
from a slug of its id that cannot name anything outside the output folder: survey ids
come from records, and records may come from anyone holding a kiosk token.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from kiosk.cli.errors import EXIT_FAILED, fail
from kiosk.ids import SLUG_MAX_LENGTH, is_slug


def out_folder(out_arg: str | None) -> Path | None:
    """The folder ``--out DIR/`` names (created if missing), or None for a file or stdout.

    A trailing slash names a folder even before it exists; an existing folder is one too.
    """
    if out_arg is None:
        return None
    path = Path(out_arg)
    if out_arg.endswith(("/", os.sep)):
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create the folder {path}: {exc.strerror}", EXIT_FAILED)
    return path if path.is_dir() else None


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
