"""A text answer longer than one line gets a field as tall as it needs (issue 9, section 4):
it wraps instead of scrolling sideways, Enter still moves on, and nothing typed is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import TextArea

from helpers.pilot import burst, settle
from kiosk.app.app import KioskApp
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.app.settings import app_settings
from kiosk.store import RecordStore
from kiosk.survey import load_survey

pytestmark = pytest.mark.anyio

SURVEY = """\
id: lang-tekst
version: 1
languages: [da]
title: {da: Lang tekst}
intro: {da: Skriv}
thanks: {da: Tak}
questions:
  - id: kort
    type: text
    max_length: 40
    text: {da: Dit navn på et ord}
  - id: lang
    type: text
    max_length: 300
    text: {da: "Hvad vil du gerne fortælle os?"}
"""
LONG = "Flere bænke ved søen og mere skygge på legepladsen om sommeren " * 2


async def test_a_long_answer_wraps_in_a_field_that_grows(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    with RecordStore(tmp_path / "data") as store:
        app = KioskApp([load_survey(path)], store, settings=app_settings(suspect_seconds=0))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("1")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, QuestionScreen)
            assert screen.flow.current.id == "kort"
            assert not screen.body.query(TextArea), "a one-word answer keeps its one-line field"
            burst(app, *"Ane", "enter")
            await settle(pilot)
            [area] = screen.body.query(TextArea)
            empty_height = area.region.height
            burst(app, *LONG.strip())
            await settle(pilot, 12)
            assert area.text == LONG.strip()
            assert area.region.height > empty_height  # grew with the text
            assert area.scroll_offset.x == 0  # wrapped, not scrolled sideways
            assert area.region.bottom <= 24
            burst(app, "enter")
            await settle(pilot)
            assert isinstance(app.screen, ThanksScreen)
        [record] = store.records()
    assert record["answers"] == {"kort": "Ane", "lang": LONG.strip()}


async def test_a_pasted_line_break_becomes_a_space(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    with RecordStore(tmp_path / "data") as store:
        app = KioskApp([load_survey(path)], store, settings=app_settings(suspect_seconds=0))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("1")
            await settle(pilot)
            burst(app, "x", "enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, QuestionScreen)
            [area] = screen.body.query(TextArea)
            paste = events.Paste("første linje\nanden linje")
            area.post_message(paste)
            await settle(pilot)
            assert area.text == "første linje anden linje"


@pytest.mark.parametrize(("size", "taller_than"), [((120, 40), 8), ((80, 24), 3)])
async def test_an_ideas_description_field_takes_the_room_there_is(
    tmp_path: Path, size: tuple[int, int], taller_than: int
) -> None:
    from kiosk.paths import DEFAULT_SURVEY

    with RecordStore(tmp_path / "data") as store:
        app = KioskApp([load_survey(DEFAULT_SURVEY)], store, settings=app_settings())
        async with app.run_test(size=size) as pilot:
            await pilot.press("2")  # "Del en idé"
            await settle(pilot)
            burst(app, "1")  # the first theme
            await settle(pilot)
            burst(app, *"Bænke", "enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, QuestionScreen)
            assert screen.flow.current.id.endswith("description"), screen.flow.current.id
            [area] = screen.body.query(TextArea)
            assert area.region.height > taller_than  # more than the fixed 8 (4) rows of old
            nav_top = screen.query_one("#nav").region.y
            assert area.region.bottom <= nav_top  # and never over the buttons
