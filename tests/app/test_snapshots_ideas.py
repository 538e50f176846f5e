"""Snapshots of the idea card: choosing a theme, the description (with and without the
on-screen keyboard of a touch kiosk) and the consent question.

At 80x24 and 120x40, Danish and English, both themes, like tests/app/test_snapshots.py, on the
idea survey of tests/app/test_app_ideas.py. Update with
``pytest tests/app/test_snapshots_ideas.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.snapshots import (
    compare,
    in_every_look,
    make_app,
    showing,
    survey_at_fixed_path,
)
from helpers.surveys import IDEAS

#: One worker for every snapshot module: they share the data folder shown on screen.
pytestmark = pytest.mark.xdist_group("snapshots")

TO_DESCRIPTION = ["2", "1", *"Bænke", "enter", *"Ved", "space", *"søen"]
SCREENS: dict[str, list[str]] = {
    "idea-theme": ["2"],
    "idea-description": TO_DESCRIPTION,
    "idea-description-touch": TO_DESCRIPTION,
    "idea-consent": ["2", "1", *"Bænke", "enter", "tab", "enter", "enter"],
}


@pytest.fixture
def ideas_path() -> Iterator[Path]:
    yield from survey_at_fixed_path(IDEAS, "ideas")


@in_every_look(SCREENS)
def test_screen(
    snap_compare: Any, ideas_path: Path, screen: str, size: str, lang: str, theme: str
) -> None:
    app = make_app(ideas_path, screen, lang, theme, touch=screen.endswith("-touch"))
    assert compare(snap_compare, app, size, showing(SCREENS[screen]))
