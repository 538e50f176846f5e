"""Where the results get their survey definitions and write their files (the I/O part)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from kiosk.results.model import Definitions


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
