"""Where export files go: one file, stdout, or one file per survey inside a folder.

Shared by ``kiosk export`` and ``kiosk collector export``. A survey's file name is built
from a slug of its id that cannot name anything outside the output folder: survey ids
come from records, and records may come from anyone holding a kiosk token.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

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


class OutputFile:
    """A file to write, or stdout; creates parent folders and always closes what it opened.

    A file is written under a temporary name in the same folder and renamed over
    the target only when complete: a full disk leaves the old file (or none), never
    a cut one, and is reported in one line.
    """

    def __init__(self, path: Path | None, bom: bool = False) -> None:
        self.path = path
        self.bom = bom
        self.tmp: Path | None = None
        self.stream: Any = None

    def __enter__(self) -> Any:
        if self.path is None:
            if self.bom:
                sys.stdout.write("\ufeff")
            return sys.stdout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            encoding = "utf-8-sig" if self.bom else "utf-8"
            self.stream = open(fd, "w", encoding=encoding, newline="")
        except OSError as exc:
            self._fail(exc, code=2)  # nothing written yet: as before, a usage problem
        return self.stream

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self.stream is None:
            return
        try:
            try:
                self.stream.flush()
                os.fsync(self.stream.fileno())
            finally:
                self.stream.close()
            if isinstance(exc, OSError):
                raise exc
            if exc is None:
                os.replace(self.tmp, self.path)  # type: ignore[arg-type]
        except OSError as error:
            self._fail(error)
        finally:
            if self.tmp is not None and self.tmp.exists():
                os.unlink(self.tmp)

    def _fail(self, exc: OSError, code: int = 1) -> None:
        if self.tmp is not None and self.tmp.exists():
            os.unlink(self.tmp)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            reason, advice = f"the disk is full ({exc.strerror})", "free some space or choose"
        else:
            reason, advice = exc.strerror or str(exc), "choose"
        kept = (
            f"the existing {self.path.name} was left as it was"
            if self.path is not None and self.path.exists()
            else "nothing was written"
        )
        fail(f"cannot write {self.path}: {reason}; {kept}: {advice} another --out", code)


def report_written(count: int, out: Path | None) -> None:
    if out is not None:
        click.echo(f"Exported {count} record{'s' if count != 1 else ''} to {out}", err=True)
