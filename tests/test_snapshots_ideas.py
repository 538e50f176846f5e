"""Snapshots of the idea card: choosing a theme, the description (with and without the
on-screen keyboard of a touch kiosk) and the consent question.

At 80x24 and 120x40, Danish and English, both themes, like tests/test_snapshots.py, on the
idea survey of tests/test_app_ideas.py. Update with
``pytest tests/test_snapshots_ideas.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_app_ideas import IDEAS
from test_snapshots import DATA_DIR, LANGS, SIZES, THEMES
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from kiosk.app.app import KioskApp
from kiosk.app.settings import AppSettings
from kiosk.store import RecordStore
from kiosk.survey import load_survey

TO_DESCRIPTION = ["2", "1", *"Bænke", "enter", *"Ved", "space", *"søen"]
SCREENS: dict[str, list[str]] = {
    "idea-theme": ["2"],
    "idea-description": TO_DESCRIPTION,
    "idea-description-touch": TO_DESCRIPTION,
    "idea-consent": ["2", "1", *"Bænke", "enter", "tab", "enter", "enter"],
}


@pytest.fixture
def ideas_path() -> Iterator[Path]:
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True)
    path = DATA_DIR.parent / "borgerkiosk-snapshot-ideas.yaml"
    path.write_text(IDEAS, encoding="utf-8")
    yield path
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    path.unlink(missing_ok=True)


def make_app(path: Path, screen: str, lang: str, theme: str) -> KioskApp:
    settings = AppSettings(
        kiosk_id="kiosk-snap",
        lang=lang,
        theme=theme,
        idle_timeout=600,
        idle_grace=600,
        suspect_seconds=0,
        touch=screen.endswith("-touch"),
    )
    return KioskApp([load_survey(path)], RecordStore(DATA_DIR), settings=settings)


def driver(app: KioskApp, screen: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        for key in SCREENS[screen]:
            await pilot.press(key)
            await pilot.pause()
        for field in app.screen.query("Input, TextArea"):
            assert isinstance(field, Input | TextArea)
            field.cursor_blink = False  # a blinking cursor would make the picture random
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_screen(
    snap_compare: Any, ideas_path: Path, screen: str, size: str, lang: str, theme: str
) -> None:
    app = make_app(ideas_path, screen, lang, theme)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=driver(app, screen))
    finally:
        app.store.close()
