"""Every question type by keyboard and by mouse, show_if both ways, Back and required questions.

The real app through ``App.run_test()`` and Pilot, saving into a real store in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from helpers.pilot import click, current_id, keys, running, screen_text
from kiosk.app.app import KioskApp
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.app.widgets.tap_button import TapButton

pytestmark = pytest.mark.anyio


def answer_input(app: KioskApp) -> Input:
    """The text or number field of the question on screen (each question has its own)."""
    screen = app.screen
    assert isinstance(screen, QuestionScreen)
    return screen.body.query_one(Input)


async def test_whole_survey_by_keyboard_saves_every_type(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, store):
        assert isinstance(app.screen, WelcomeScreen)
        await keys(pilot, "1")
        assert current_id(app) == "hello"
        assert screen_text(app, "#next") == "Videre"
        await keys(pilot, "enter")
        assert current_id(app) == "where"
        assert screen_text(app, "#progress") == "Spørgsmål 1 af 7"  # with the one show_if may add
        await keys(pilot, "2")  # single choice: picks and moves on
        assert current_id(app) == "topics"
        assert screen_text(app, "#next") == "Spring over"
        await keys(pilot, "1", "3")
        assert screen_text(app, "#choice-count") == "2 af 2 valgt"
        await keys(pilot, "2")  # a third is refused, kindly
        assert "højst vælge 2" in screen_text(app, "#message")
        await keys(pilot, "1", "2")  # toggle one off, another on
        assert screen_text(app, "#choice-count") == "2 af 2 valgt"
        await keys(pilot, "enter")
        assert current_id(app) == "mood"
        await keys(pilot, "4")
        assert current_id(app) == "join"
        await keys(pilot, "1")  # 1 = yes: the dependent question shows
        assert current_id(app) == "join-what"
        await keys(pilot, "2")
        assert current_id(app) == "words"
        await keys(pilot, *"hej", "space", *"du", "enter")
        assert current_id(app) == "age"
        await keys(pilot, "7", "enter")  # out of range: refused with the range
        assert current_id(app) == "age"
        assert screen_text(app, "#message") == "Skriv et tal mellem 10 og 110."
        await keys(pilot, "backspace", *"42")
        assert screen_text(app, "#next") == "Afslut"
        await keys(pilot, "enter")
        assert isinstance(app.screen, ThanksScreen)
        (record,) = store.records()
    assert record["answers"] == {
        "where": "south",
        "topics": ["b", "c"],
        "mood": 4,
        "join": True,
        "join-what": "y",
        "words": "hej du",
        "age": 42,
    }
    assert record["completed"] is True and record["lang"] == "da"
    assert record["kiosk_id"] == "kiosk-t" and "suspect" not in record


async def test_whole_survey_by_mouse(tmp_path: Path) -> None:
    async with running(tmp_path, size=(120, 40), lang="en") as (app, pilot, store):

        async def tap_option(value: object) -> None:
            screen = app.screen
            assert isinstance(screen, QuestionScreen)
            (button,) = [b for b in screen.body.query(TapButton) if b.value == value]
            await click(pilot, button)
            await pilot.pause()

        await click(pilot, ".start")
        await pilot.pause()
        await click(pilot, "#next")
        await pilot.pause()
        await tap_option("north")
        await tap_option("a")
        await tap_option("c")
        await click(pilot, "#next")
        await pilot.pause()
        await tap_option(2)  # the second point of the scale
        await tap_option(False)  # the dependent question stays hidden
        assert current_id(app) == "words"
        await click(pilot, answer_input(app))
        await keys(pilot, *"ok")
        assert app.screen.query_one("#char-count", Static).render().plain == "2 / 20 characters"
        await click(pilot, "#next")
        await pilot.pause()
        await click(pilot, answer_input(app))
        await keys(pilot, *"30")
        await click(pilot, "#next")
        await pilot.pause()
        assert isinstance(app.screen, ThanksScreen)
        await click(pilot, "#thanks-text")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        (record,) = store.records()
    assert record["answers"] == {
        "where": "north",
        "topics": ["a", "c"],
        "mood": 2,
        "join": False,
        "words": "ok",
        "age": 30,
    }
    assert record["lang"] == "en"


async def test_required_question_cannot_be_skipped_and_says_so(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        await keys(pilot, "1", "enter")
        assert current_id(app) == "where"
        assert screen_text(app, "#next") == "Næste"
        await keys(pilot, "enter")
        assert current_id(app) == "where"
        assert "skal besvares" in screen_text(app, "#message")
        await click(pilot, "#next")
        await pilot.pause()
        assert current_id(app) == "where"


async def test_show_if_both_ways_and_hidden_answer_not_saved(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, store):
        await keys(pilot, "1", "enter", "1", "enter", "enter")  # to "join"
        assert current_id(app) == "join"
        await keys(pilot, "1", "1")  # yes, then join-what = x
        assert current_id(app) == "words"
        await keys(pilot, "escape", "escape")
        assert current_id(app) == "join"
        await keys(pilot, "2")  # now no: join-what disappears
        assert current_id(app) == "words"
        await keys(pilot, "escape")
        assert current_id(app) == "join", "Back must skip the hidden question"
        await keys(pilot, "enter", "enter", "enter")
        assert isinstance(app.screen, ThanksScreen)
        (record,) = store.records()
    assert "join-what" not in record["answers"]
    assert record["answers"]["join"] is False


async def test_back_keeps_answers_and_escape_on_first_question_leaves(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, store):
        await keys(pilot, "1", "enter", "3")
        assert current_id(app) == "topics"
        await keys(pilot, "escape")
        assert current_id(app) == "where"
        selected = [b.value for b in app.screen.query(".option.-selected")]
        assert selected == ["away"]
        await keys(pilot, "escape", "escape")
        assert isinstance(app.screen, WelcomeScreen)
        assert len(store) == 0, "leaving by Back saves nothing"


async def test_arrows_move_between_options_and_enter_picks(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        await keys(pilot, "1", "enter")
        assert app.focused is app.screen.query_one("#next"), "no option looks chosen up front"
        await keys(pilot, "down", "down", "down")
        focused = app.focused
        assert isinstance(focused, TapButton) and focused.value == "south"
        await keys(pilot, "down", "up", "up", "enter")
        assert current_id(app) == "topics"
        assert app.screen.flow.answers["where"] == "north"  # type: ignore[attr-defined]


async def test_text_counter_and_limit(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        await keys(pilot, "1", "enter", "1", "enter", "enter", "enter")
        assert current_id(app) == "words"
        await keys(pilot, *("x" * 25))
        field = answer_input(app)
        assert field.value == "x" * 20
        assert screen_text(app, "#char-count") == "20 / 20 tegn"


@pytest.mark.parametrize(("typed", "message"), [("5", "mellem 10 og 110"), ("200", "mellem")])
async def test_number_refuses_out_of_range(tmp_path: Path, typed: str, message: str) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        await keys(pilot, "1", "enter", "1", "enter", "enter", "enter", "enter")
        assert current_id(app) == "age"
        await keys(pilot, *"ab", *typed, "enter")
        assert answer_input(app).value == typed
        assert message in screen_text(app, "#message")
        assert current_id(app) == "age"


async def test_chosen_answers_are_marked_not_only_coloured(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        await keys(pilot, "1", "enter", "1", "1", "3")  # to topics; pick Alfa and Gamma
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        labels = [str(b.render()) for b in screen.body.query(TapButton)]
        assert labels == ["1  Alfa  ✓", "2  Beta", "3  Gamma  ✓"]
        await keys(pilot, "1")  # toggled off again
        labels = [str(b.render()) for b in screen.body.query(TapButton)]
        assert labels == ["1  Alfa", "2  Beta", "3  Gamma  ✓"]
