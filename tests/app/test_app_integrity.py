"""Every answer is the visitor's own (issue 9): input in a burst acts only on the question
that was on screen when it arrived, a typed answer is never lost, and the last question
never crashes the kiosk.

Keys and taps are posted to the real app the way its terminal driver posts them: one after
the other with no wait in between (a burst), so the app handles them while it is still busy
with the first. Pilot's ``press`` waits for the app to be idle after each key and so never
sees these bugs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from helpers.pilot import burst, middle, settle, tap
from kiosk.app.app import KioskApp
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.app.settings import app_settings
from kiosk.app.widgets.tap_button import TapButton
from kiosk.paths import PROJECT_ROOT
from kiosk.store import RecordStore
from kiosk.survey import load_survey

pytestmark = pytest.mark.anyio

GENTOFTE = PROJECT_ROOT / "surveys" / "gentofte-moedes.yaml"


@asynccontextmanager
async def kiosk(
    tmp_path: Path, survey_path: Path = GENTOFTE, **settings: Any
) -> AsyncIterator[tuple[KioskApp, Pilot[None], RecordStore]]:
    """The real app over a bundled survey and a real store in tmp_path."""
    store = RecordStore(tmp_path / "data")
    fields: dict[str, Any] = {"kiosk_id": "kiosk-i", "suspect_seconds": 0.0, **settings}
    app = KioskApp([load_survey(survey_path)], store, settings=app_settings(**fields))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            yield app, pilot, store
    finally:
        store.close()


def question(app: KioskApp) -> QuestionScreen:
    screen = app.screen
    assert isinstance(screen, QuestionScreen), type(screen).__name__
    return screen


async def start(app: KioskApp, pilot: Pilot[None]) -> None:
    """From the welcome screen past the info screen to "Hvad er din tilknytning?"."""
    await pilot.press("1")
    await settle(pilot)
    assert question(app).flow.current.id == "velkommen"
    await pilot.press("enter")
    await settle(pilot)
    assert question(app).flow.current.id == "tilknytning"


async def test_two_digits_in_a_burst_answer_only_the_question_on_screen(tmp_path: Path) -> None:
    async with kiosk(tmp_path, settle_seconds=0) as (app, pilot, _store):
        await start(app, pilot)
        burst(app, "1", "2")
        await settle(pilot)
        screen = question(app)
        # "2" arrived while the single-choice question was on screen: it is dropped, never
        # applied to the multiple-choice question that followed.
        assert screen.flow.current.id == "emner"
        assert screen.flow.answers == {"tilknytning": "bor"}
        assert screen.body.read_value() is None


async def test_double_tap_on_a_smiley_does_not_answer_the_next_question(tmp_path: Path) -> None:
    async with kiosk(tmp_path, settle_seconds=0.3) as (app, pilot, _store):
        await start(app, pilot)
        screen = question(app)
        # to the smiley scale: "bor" (then the settle time), skip "emner"
        await pilot.press("1")
        await wait_for(pilot, lambda: screen.flow.current.id == "emner")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.flow.current.id == "festival"
        # the second smiley: where "Ja" of the next question is drawn at 80x24
        smiley = middle(screen.body.query(TapButton)[1])
        tap(app, smiley)
        await asyncio.sleep(0.25)  # the second tap of a double tap, 250 ms later
        tap(app, smiley)
        await settle(pilot)
        await wait_for(pilot, lambda: screen.flow.current.id == "opgaveudvalg")
        await pilot.pause(0.4)  # longer than the settle time: a late tap would show now
        await settle(pilot)
        assert screen.flow.current.id == "opgaveudvalg"
        assert screen.flow.answers == {"tilknytning": "bor", "festival": 2}
        assert screen.body.read_value() is None


async def test_text_typed_in_a_burst_with_enter_is_stored(tmp_path: Path) -> None:
    async with kiosk(tmp_path, settle_seconds=0) as (app, pilot, _store):
        await start(app, pilot)
        screen = question(app)
        for key in ("1", "enter", "3", "2"):  # bor, skip emner, festival 3, opgaveudvalg nej
            await pilot.press(key)
            await settle(pilot)
        assert screen.flow.current.id == "kommentar"
        burst(app, "h", "e", "j", "enter")
        await settle(pilot)
        assert screen.flow.current.id == "alder"
        assert screen.flow.answers["kommentar"] == "hej"


async def test_number_and_enter_in_a_burst_on_the_last_question_saves_the_visit(
    tmp_path: Path,
) -> None:
    async with kiosk(tmp_path, settle_seconds=0) as (app, pilot, store):
        await start(app, pilot)
        screen = question(app)
        for key in ("1", "enter", "3", "2", "enter"):
            await pilot.press(key)
            await settle(pilot)
        assert screen.flow.current.id == "alder"
        burst(app, "4", "2", "enter")
        await settle(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        (record,) = store.records()
        assert record["completed"] is True
        assert record["answers"] == {
            "tilknytning": "bor",
            "festival": 3,
            "opgaveudvalg": False,
            "alder": 42,
        }


async def test_enter_twice_in_a_burst_moves_on_once(tmp_path: Path) -> None:
    async with kiosk(tmp_path, settle_seconds=0) as (app, pilot, _store):
        await start(app, pilot)
        screen = question(app)
        await pilot.press("1")
        await settle(pilot)
        assert screen.flow.current.id == "emner"
        burst(app, "enter", "enter")  # the second was meant for "emner" too
        await settle(pilot)
        assert screen.flow.current.id == "festival"


async def wait_for(pilot: Pilot[None], condition: Any, seconds: float = 5.0) -> None:
    """Bounded wait for a state the app reaches by its own timers."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    assert condition(), "the app did not get there in time"


async def test_the_organiser_screen_counts_answers_left_out(tmp_path: Path) -> None:
    async with kiosk(tmp_path, settle_seconds=0) as (app, pilot, store):
        await start(app, pilot)
        screen = question(app)
        screen.flow.answers["emner"] = "arbejder"  # what the old burst bug stored
        await pilot.press("1")
        await settle(pilot)
        await app.finish_visit(screen.flow, screen.survey)
        await settle(pilot)
        assert isinstance(app.screen, ThanksScreen)
        (record,) = store.records()
        assert record["answers"] == {"tilknytning": "bor"}
        await pilot.press("ctrl+o")  # demo mode: no PIN
        await settle(pilot)
        health = str(app.screen.query_one("#health").render())
        assert "Svar udeladt, fordi de ikke passede til spørgsmålet: 1" in health


SCALES = """\
id: scales
version: 1
languages: [da]
title: Skalaer
intro: Prøve
thanks: Tak
questions:
  - id: ten
    type: scale
    min: 1
    max: 10
    text: Fra 1 til 10
  - id: eleven
    type: scale
    min: 0
    max: 10
    text: Fra 0 til 10
  - id: done
    type: yes_no
    text: Færdig?
"""


async def to_first_scale(app: KioskApp, pilot: Pilot[None]) -> QuestionScreen:
    await pilot.press("1")
    await settle(pilot)
    screen = question(app)
    assert screen.flow.current.id == "ten"
    return screen


@pytest.mark.parametrize(
    ("on_ten", "ten", "on_eleven", "eleven"),
    [
        (("1", "0"), 10, ("0",), 0),  # 10 on 1-10; 0 on 0-10 at once
        (("1", "enter"), 1, ("1", "0"), 10),  # Enter takes the 1 that waited for a digit
        (("9",), 9, ("1", "7"), 1),  # 1 then 7 on 0-10: the 1 stands, the 7 goes
        (("2",), 2, ("5", "3"), 5),  # the 3 was meant for the 0-10 scale: dropped
    ],
)
async def test_every_point_of_a_scale_is_reachable_by_keys(
    tmp_path: Path, on_ten: tuple[str, ...], ten: int, on_eleven: tuple[str, ...], eleven: int
) -> None:
    path = tmp_path / "scales.yaml"
    path.write_text(SCALES, encoding="utf-8")
    async with kiosk(tmp_path, path, settle_seconds=0) as (app, pilot, _store):
        screen = await to_first_scale(app, pilot)
        burst(app, *on_ten)
        await settle(pilot)
        assert screen.flow.answers == {"ten": ten}
        assert screen.flow.current.id == "eleven"
        burst(app, *on_eleven)
        await settle(pilot)
        assert screen.flow.answers == {"ten": ten, "eleven": eleven}
        assert screen.flow.current.id == "done"
        assert screen.body.read_value() is None


async def test_a_digit_that_may_begin_a_longer_point_is_taken_after_a_moment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "scales.yaml"
    path.write_text(SCALES, encoding="utf-8")
    async with kiosk(tmp_path, path, settle_seconds=0) as (app, pilot, _store):
        screen = await to_first_scale(app, pilot)
        burst(app, "1")
        await settle(pilot)
        assert screen.flow.current.id == "ten"  # it waits for a second digit
        await wait_for(pilot, lambda: screen.flow.current.id == "eleven")
        assert screen.flow.answers == {"ten": 1}


async def test_keys_after_enter_in_a_burst_are_not_part_of_the_text(tmp_path: Path) -> None:
    async with kiosk(tmp_path, settle_seconds=0) as (app, pilot, _store):
        await start(app, pilot)
        screen = question(app)
        for key in ("1", "enter", "3", "2"):
            await pilot.press(key)
            await settle(pilot)
        assert screen.flow.current.id == "kommentar"
        burst(app, "h", "e", "j", "enter", "x", "y")  # a paste of two lines, say
        await settle(pilot)
        assert screen.flow.current.id == "alder"
        assert screen.flow.answers["kommentar"] == "hej"
        assert screen.body.read_value() is None  # "xy" came before "alder" was shown
        await pilot.press("escape")  # back: the field shows what was stored
        await settle(pilot)
        assert screen.body.read_value() == "hej"
        await pilot.press("end", "x", "enter")  # the field takes keys again
        await settle(pilot)
        assert screen.flow.answers["kommentar"] == "hejx"


def test_settle_seconds_is_a_kiosk_setting_from_0_to_5(tmp_path: Path) -> None:
    from kiosk.app.launch import build_app
    from kiosk.config import ConfigError, KioskConfig, load_config

    path = tmp_path / "kiosk.toml"
    assert KioskConfig().settle_seconds == 0.3
    path.write_text("settle_seconds = 0\n", encoding="utf-8")
    config = load_config(path)
    assert config.settle_seconds == 0.0
    app = build_app(config, [load_survey(GENTOFTE)], tmp_path / "data")
    assert app.settings.settle_seconds == 0.0
    app.store.close()
    for bad in ("-1", "6", "true", '"0.3"'):
        path.write_text(f"settle_seconds = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match="settle_seconds must be a number of seconds"):
            load_config(path)


async def test_a_pick_shows_as_chosen_while_input_settles(tmp_path: Path) -> None:
    async with kiosk(tmp_path, settle_seconds=1.5) as (app, pilot, _store):
        await start(app, pilot)
        screen = question(app)
        burst(app, "2", "3")  # the 3 comes while "arbejder" shows as chosen: dropped
        await settle(pilot)
        assert screen.flow.current.id == "tilknytning"
        chosen = [b for b in screen.body.query(TapButton) if b.has_class("-selected")]
        assert [b.value for b in chosen] == ["arbejder"]
        assert "✓" in str(chosen[0].render())
        await wait_for(pilot, lambda: screen.flow.current.id == "emner")
        assert screen.flow.answers == {"tilknytning": "arbejder"}
        assert screen.body.read_value() is None


async def test_a_tap_that_arrived_in_the_settle_time_is_dropped_when_handled_after_it(
    tmp_path: Path,
) -> None:
    """On a loaded machine a tap can arrive while the chosen smiley settles and be handled
    only after the next question opened. The terminal stamps it as it arrives; the app
    turns its mouse down and up into a click stamped when it handles them, and that click
    must not answer "Ja" of the next question either."""
    async with kiosk(tmp_path, settle_seconds=0.3) as (app, pilot, _store):
        await start(app, pilot)
        screen = question(app)
        for key in ("1", "enter"):  # bor (then the settle time), skip "emner"
            await pilot.press(key)
            await wait_for(pilot, lambda: screen.flow.current.id in ("emner", "festival"))
        await settle(pilot)
        assert screen.flow.current.id == "festival"
        x, y = middle(screen.body.query(TapButton)[1])  # where "Ja" comes next
        tap(app, (x, y))
        await settle(pilot)
        assert screen.flow.answers["festival"] == 2
        # the second tap of a double tap, arrived (and stamped) within the settle time ...
        second = [
            kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y)
            for kind in (events.MouseDown, events.MouseUp)
        ]
        await wait_for(pilot, lambda: screen.flow.current.id == "opgaveudvalg")
        await settle(pilot)
        for event in second:  # ... handled once the next question is on screen
            event.set_sender(app)
            app.post_message(event)
        await settle(pilot)
        assert screen.flow.current.id == "opgaveudvalg"
        assert "opgaveudvalg" not in screen.flow.answers
        assert screen.body.read_value() is None
