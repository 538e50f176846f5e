"""Driving the real app through Pilot as a visitor does: the app on a real store, keys pressed
one by one (Pilot waits for the app after each) or in a burst as a terminal sends them (no
wait in between), taps, and bounded waits for a state the app reaches by its own timers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual import events
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from helpers.surveys import ALL_TYPES, write_survey
from kiosk.app.app import KioskApp
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.settings import app_settings
from kiosk.store import RecordStore
from kiosk.survey import load_survey


@asynccontextmanager
async def running(
    tmp_path: Path,
    *,
    survey_text: str = ALL_TYPES,
    size: tuple[int, int] = (80, 24),
    **settings: Any,
) -> AsyncIterator[tuple[KioskApp, Pilot[None], RecordStore]]:
    """The real app on a real store in tmp_path, driven by Pilot."""
    survey = load_survey(write_survey(tmp_path, survey_text))
    store = RecordStore(tmp_path / "data")
    fields: dict[str, Any] = {"kiosk_id": "kiosk-t", "suspect_seconds": 0.0, **settings}
    pin = fields.pop("pin", None)
    sync = fields.pop("sync", None)
    app = KioskApp([survey], store, settings=app_settings(**fields), pin=pin, sync=sync)
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            yield app, pilot, store
    finally:
        store.close()


def current_id(app: KioskApp) -> str:
    screen = app.screen
    assert isinstance(screen, QuestionScreen), type(screen).__name__
    return screen.flow.current.id


async def keys(pilot: Pilot[None], *pressed: str) -> None:
    for key in pressed:
        await pilot.press(key)
        await pilot.pause()


def screen_text(app: KioskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 5) -> None:
    """Bounded wait for the app to reach a state (timers are real). A widget the condition
    looks for that is not mounted yet (a screen being switched or recomposed) is "not yet"."""
    for _ in range(int(seconds / 0.05)):
        try:
            if condition():
                return
        except NoMatches:
            pass
        await pilot.pause(0.05)
    assert condition(), "the app did not get there in time"


# -- in the app ------------------------------------------------------------------------------
async def type_text(pilot: Pilot[None], text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)
    await pilot.pause()


def stored(tmp_path: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Records and contact details as the store holds them once the app has closed."""
    with RecordStore(tmp_path / "data") as store:
        return store.records(), store.contacts()


def walk_away(app: KioskApp) -> None:
    """The visitor leaves here: the idle prompt comes soon (not while keys are still typed)."""
    app.idle_timeout, app.idle_grace = 0.2, 0.2


def step_id(app: KioskApp) -> str:
    return question_screen(app).flow.current.id


def question_screen(app: KioskApp) -> QuestionScreen:
    screen = app.screen
    assert isinstance(screen, QuestionScreen), type(screen).__name__
    return screen


def burst(app: KioskApp, *keys: str) -> None:
    """Keys as a keyboard wedge or a paste sends them: all queued before any is handled."""
    for key in keys:
        char = key if len(key) == 1 else {"space": " ", "enter": "\r"}.get(key)
        event = events.Key(key, char)
        event.set_sender(app)
        app.post_message(event)


async def click(pilot: Pilot[None], target: str | Widget) -> None:
    """A tap on ``target`` once it is laid out where the tap lands. Pilot aims at the
    widget's region as it is now: on a loaded machine a screen just shown may not be laid
    out yet, and the tap would land on whatever is at (0, 0), a corner tap."""
    app = pilot.app

    def widget() -> Widget:
        return app.screen.query_one(target) if isinstance(target, str) else target

    def placed() -> bool:
        region = widget().region
        return bool(region) and app.get_widget_at(region.x, region.y)[0] is widget()

    await wait_for(pilot, placed)
    assert await pilot.click(widget()), f"the tap on {target!r} landed elsewhere"


def middle(widget: Widget) -> tuple[int, int]:
    region = widget.region
    return region.x + region.width // 2, region.y + region.height // 2


def tap(app: KioskApp, at: tuple[int, int]) -> None:
    """A finger on the screen: mouse down and up at one place, through the app's own path
    (which turns the pair into a click on whatever is there when it is handled)."""
    x, y = at
    for kind in (events.MouseDown, events.MouseUp):
        event = kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y)
        event.set_sender(app)
        app.post_message(event)


async def settle(pilot: Pilot[None], rounds: int = 6) -> None:
    """Let the app handle everything queued (a chain of messages takes a few rounds)."""
    for _ in range(rounds):
        await pilot.pause()
