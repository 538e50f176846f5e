"""A tap redraws only what it changes: no text selection starts on a button, and moving focus
does not repaint the whole screen. On a tablet every repaint is a frame sent to the browser,
and a whole-screen frame is what made the next question slow to show there (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget

from helpers.pilot import keys, question_screen, running, settle
from kiosk.app.widgets.tap_button import TapButton

pytestmark = pytest.mark.anyio


async def drag_within(pilot: Any, widget: Widget) -> None:
    """A finger down on ``widget`` that moves along it (not lifted)."""
    await pilot.mouse_down(widget, offset=(1, 0))
    await pilot.hover(widget, offset=(widget.region.width - 2, 0))
    await settle(pilot)


async def test_a_drag_on_a_button_selects_nothing_but_text_can_be_selected(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, size=(100, 32)) as (app, pilot, _store):
        await keys(pilot, "1", "enter")
        screen = question_screen(app)
        await drag_within(pilot, screen.query_one("#question-text"))
        assert screen.selections, "a drag on the question's text selects it"
        await pilot.mouse_up(screen.query_one("#question-text"), offset=(1, 0))
        screen.clear_selection()
        await settle(pilot)
        option = screen.body.query(TapButton).first()
        await drag_within(pilot, option)
        assert not screen.selections, "a drag on a button must not select its label"


async def test_moving_focus_does_not_repaint_the_whole_screen(tmp_path: Path) -> None:
    async with running(tmp_path, size=(100, 32)) as (app, pilot, _store):
        await keys(pilot, "1", "enter")
        screen = question_screen(app)
        await settle(pilot)
        whole: list[dict[str, Any]] = []
        refresh = screen.refresh

        def spy(*regions: Any, **flags: Any) -> Any:
            if not regions and flags.get("repaint", True):
                whole.append(flags)
            return refresh(*regions, **flags)

        setattr(screen, "refresh", spy)  # noqa: B010 - a spy on Textual's method
        option = screen.body.query(TapButton).first()
        screen.set_focus(option)  # as a tap on it does
        await settle(pilot)
        assert app.focused is option
        assert whole == [], "a focus change repainted the whole screen"


async def test_a_finger_on_a_button_leaves_focus_where_it_was(tmp_path: Path) -> None:
    async with running(tmp_path, size=(100, 32)) as (app, pilot, _store):
        await keys(pilot, "1", "enter")
        screen = question_screen(app)
        assert app.focused is screen.query_one("#next")
        await pilot.mouse_down(screen.body.query(TapButton).first())
        await settle(pilot)
        assert app.focused is screen.query_one("#next"), "a press took focus: a frame of its own"
