"""Snapshots of every kiosk screen at 80x24 and 120x40, in Danish and English, in both themes.

Run ``pytest tests/app/test_snapshots.py --snapshot-update`` after a deliberate change of
the look, check the new SVGs, and commit them. The test survey has no follow-up link and
the data directory is a fixed path, so nothing random or time-dependent is on screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from helpers.pilot import wait_for
from helpers.snapshots import TO_THANKS, compare, in_every_look, make_app, press_keys, still_cursors
from kiosk.app.app import KioskApp
from kiosk.app.screens.still_there import StillThereScreen

#: One worker for every snapshot module: they share the data folder shown on screen.
pytestmark = pytest.mark.xdist_group("snapshots")

SCREENS: dict[str, list[str]] = {
    "welcome": [],
    "question-choice": ["1", "enter"],
    "question-scale": ["1", "enter", "1", "enter"],
    "thanks": TO_THANKS,
    "pin": ["ctrl+o"],
    "organiser": ["ctrl+o"],
    "still-there": ["1", "enter"],
}


def driver(app: KioskApp, screen: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await press_keys(pilot, SCREENS[screen])
        if screen == "still-there":
            # short only now, so a slow machine cannot bring the prompt before the keys
            app.idle_timeout = 0.1
            await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        await still_cursors(pilot)

    return run_before


@in_every_look(SCREENS)
def test_screen(
    snap_compare: Any, survey_path: Path, screen: str, size: str, lang: str, theme: str
) -> None:
    app = make_app(survey_path, screen, lang, theme)
    assert compare(snap_compare, app, size, driver(app, screen))
