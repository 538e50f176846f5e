"""Snapshots of every kiosk screen at 80x24 and 120x40, in Danish and English, in both themes.

Run ``pytest tests/test_snapshots.py --snapshot-update`` after a deliberate change of
the look, check the new SVGs, and commit them. The test survey has no follow-up link and
the data directory is a fixed path, so nothing random or time-dependent is on screen.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_app_questions import ALL_TYPES, wait_for
from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.app.app import KioskApp
from kiosk.app.screens.still_there import StillThereScreen
from kiosk.app.settings import AppSettings
from kiosk.config import PinCheck
from kiosk.store import RecordStore
from kiosk.survey import load_survey

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
THEMES = ("default", "high-contrast")
LANGS = ("da", "en")
#: A fixed path: the organiser screen shows the data directory.
DATA_DIR = Path(tempfile.gettempdir()) / "borgerkiosk-snapshot-data"
#: A PIN hash made once (hash_pin salts randomly; the hash is never on screen anyway).
PIN_HASH = "scrypt$16384$8$1$00112233445566778899aabbccddeeff$" + "0" * 64

TO_THANKS = ["1", "enter", "1", "enter", "enter", "enter", "enter", "enter"]
SCREENS: dict[str, list[str]] = {
    "welcome": [],
    "question-choice": ["1", "enter"],
    "question-scale": ["1", "enter", "1", "enter"],
    "thanks": TO_THANKS,
    "pin": ["ctrl+o"],
    "organiser": ["ctrl+o"],
    "still-there": ["1", "enter"],
}


@pytest.fixture
def survey_path() -> Iterator[Path]:
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True)
    path = DATA_DIR.parent / "borgerkiosk-snapshot-survey.yaml"
    path.write_text(ALL_TYPES, encoding="utf-8")
    yield path
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    path.unlink(missing_ok=True)


def make_app(survey_path: Path, screen: str, lang: str, theme: str) -> KioskApp:
    settings = AppSettings(
        kiosk_id="kiosk-snap",
        lang=lang,
        theme=theme,
        thanks_timeout=600,
        idle_timeout=600,
        idle_grace=600,
        suspect_seconds=0,
    )
    pin = PinCheck(pin_hash=PIN_HASH) if screen == "pin" else PinCheck()
    return KioskApp([load_survey(survey_path)], RecordStore(DATA_DIR), settings=settings, pin=pin)


def driver(app: KioskApp, screen: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        for key in SCREENS[screen]:
            await pilot.press(key)
            await pilot.pause()
        if screen == "still-there":
            # short only now, so a slow machine cannot bring the prompt before the keys
            app.idle_timeout = 0.1
            await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        for field in app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would make the picture random
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_screen(
    snap_compare: Any, survey_path: Path, screen: str, size: str, lang: str, theme: str
) -> None:
    app = make_app(survey_path, screen, lang, theme)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=driver(app, screen))
    finally:
        app.store.close()
