"""Visit after visit, nothing of an earlier visit stays alive (the kiosk runs all day).

The real app on a real store through Pilot. Each visit starts the idea card, whose
description is a TextArea: on mount it watches the app's theme, and Textual keeps such a
watcher (and so the whole widget) on the app until the theme changes (textual issue
#6666). The kiosk drops them when a visit ends.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from textual.widgets import TextArea

from helpers.pilot import keys, running, wait_for
from helpers.surveys import IDEAS
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.app.watchers import watcher_count

pytestmark = pytest.mark.anyio

VISITS = 6


def alive(kind: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, kind))


async def test_no_screen_or_text_area_of_an_earlier_visit_stays_alive(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS) as (app, pilot, _store):
        for _ in range(VISITS):
            await keys(pilot, "2")  # the idea card: its steps include a TextArea
            assert isinstance(app.screen, QuestionScreen)
            assert app.screen.query(TextArea), "the card should mount its description area"
            await keys(pilot, "escape")  # back from the first step: the visitor leaves
            await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert alive(QuestionScreen) == 0
        assert alive(TextArea) == 0
        assert watcher_count(app) == 0
