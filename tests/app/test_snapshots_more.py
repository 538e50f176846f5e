"""Snapshots of the screens test_snapshots.py leaves out: the apology after a failed save, and
the question screen with multiple choice (count, a refused extra pick) and with a text field.

At 80x24 and 120x40, Danish and English, both themes, from the same app and survey as
test_snapshots.py. The failed save is a full disk made in the OS layer (os.fdatasync
raising ENOSPC), as in tests/app/test_app_kiosk.py. Update with
``pytest tests/app/test_snapshots_more.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from helpers.snapshots import TO_THANKS, compare, in_every_look, make_app, press_keys, still_cursors
from kiosk.app.app import KioskApp

#: One worker for every snapshot module: they share the data folder shown on screen.
pytestmark = pytest.mark.xdist_group("snapshots")

SCREENS: dict[str, list[str]] = {
    "apology": TO_THANKS,
    # where=north, then topics: two chosen and a third refused with a message
    "question-multiple": ["1", "enter", "1", "1", "3", "2"],
    # to "words" (join=no hides the dependent question), then typed text and its counter
    "question-text": ["1", "enter", "1", "enter", "enter", "2", *"hej", "space", *"du"],
}


def driver(
    app: KioskApp, screen: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Pilot[None]], Awaitable[None]]:
    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    async def run_before(pilot: Pilot[None]) -> None:
        *keys, last = SCREENS[screen]
        await press_keys(pilot, keys)
        if screen == "apology":
            monkeypatch.setattr(os, "fdatasync", disk_full)  # the save that fails
        await press_keys(pilot, [last])
        monkeypatch.undo()
        await still_cursors(pilot)

    return run_before


@in_every_look(SCREENS)
def test_screen(
    snap_compare: Any,
    survey_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    screen: str,
    size: str,
    lang: str,
    theme: str,
) -> None:
    app = make_app(survey_path, screen, lang, theme)
    assert compare(snap_compare, app, size, driver(app, screen, monkeypatch))
