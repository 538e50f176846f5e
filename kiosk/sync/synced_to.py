"""Which collector a data directory's records were marked synced with.

A record's ``synced_at`` means "the collector holds it", but only of the collector it was
sent to: a data directory synced to a rehearsal collector and then pointed at the real one
would otherwise be told that everything is there. The address of the last collector a sync
run completed with is kept beside the store (``synced-to``); when the next run is given
another address, everything marked synced is sent again (the collector keeps each record
once). Data directories synced before this file existed have none: ``kiosk sync --verify``
notices such a move and ``--resend`` sends them.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_NAME = "synced-to"


def read_synced_to(data_dir: Path) -> str | None:
    """The collector address of the last completed sync run, or None (never, or unreadable)."""
    try:
        text = (data_dir / FILE_NAME).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def write_synced_to(data_dir: Path, endpoint: str) -> None:
    """Remember ``endpoint`` (atomically: a reader sees the old or the new address)."""
    target = data_dir / FILE_NAME
    if read_synced_to(data_dir) == endpoint:
        return
    tmp = target.with_name(f".{FILE_NAME}.{os.getpid()}")
    tmp.write_text(endpoint + "\n", encoding="utf-8")
    os.replace(tmp, target)
