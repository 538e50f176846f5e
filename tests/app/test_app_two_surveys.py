"""Two surveys on one kiosk: a start button each, digit n presses the n-th, records per survey.

The real app through Pilot on a real store in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.pilot import click, keys, screen_text
from helpers.surveys import ALL_TYPES, SECOND
from kiosk.app.app import KioskApp
from kiosk.app.screens.organiser import OrganiserScreen
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.app.settings import app_settings
from kiosk.store import RecordStore
from kiosk.survey import load_survey

pytestmark = pytest.mark.anyio


async def test_each_survey_has_its_start_button_and_digit(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ALL_TYPES, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(SECOND, encoding="utf-8")
    surveys = [load_survey(tmp_path / "a.yaml"), load_survey(tmp_path / "b.yaml")]
    store = RecordStore(tmp_path / "data")
    settings = app_settings(kiosk_id="kiosk-2", suspect_seconds=0, thanks_timeout=600)
    app = KioskApp(surveys, store, settings=settings)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            labels = [str(b.render()) for b in app.screen.query(".start")]
            assert labels == ["1  Alle typer", "2  Trafik"]
            await keys(pilot, "2")
            screen = app.screen
            assert isinstance(screen, QuestionScreen) and screen.survey.id == "second"
            assert screen_text(app, "#progress") == "Spørgsmål 1 af 1"
            await keys(pilot, "2")  # no: the only question, so on to thanks
            assert isinstance(app.screen, ThanksScreen)
            await keys(pilot, "space")
            assert isinstance(app.screen, WelcomeScreen)
            await click(pilot, ".start")  # the first button by tap: the first survey
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, QuestionScreen) and screen.survey.id == "all-types"
            await keys(pilot, "escape")
            await keys(pilot, "ctrl+o")  # demo mode: counts per survey
            assert isinstance(app.screen, OrganiserScreen)
            assert "Trafik (svar): 1 færdige" in screen_text(app, "#counts")
        (record,) = store.records()
        assert record["survey_id"] == "second" and record["answers"] == {"bike": False}
    finally:
        store.close()
