"""Snapshots of the screens test_snapshots.py leaves out: the apology after a failed save, and
the question screen with multiple choice (count, a refused extra pick) and with a text field.

At 80x24 and 120x40, Danish and English, both themes, from the same app and survey as
test_snapshots.py. The failed save is a full disk made in the OS layer (os.fdatasync
raising ENOSPC), as in tests/test_app_kiosk.py. Update with
``pytest tests/test_snapshots_more.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from test_snapshots import LANGS, SIZES, THEMES, TO_THANKS, make_app, survey_path
from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.app.app import KioskApp

__all__ = ["survey_path"]  # the fixture, used by name below

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
        await pilot.pause()
        keys = SCREENS[screen]
        for number, key in enumerate(keys, start=1):
            if screen == "apology" and number == len(keys):
                monkeypatch.setattr(os, "fdatasync", disk_full)  # the save that fails
            await pilot.press(key)
            await pilot.pause()
        monkeypatch.undo()
        for field in app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the picture random
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("screen", sorted(SCREENS))
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
    try:
        assert snap_compare(
            app, terminal_size=SIZES[size], run_before=driver(app, screen, monkeypatch)
        )
    finally:
        app.store.close()
