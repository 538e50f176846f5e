"""Snapshots of the screens of issue 9's sections 2 and 5: a survey's contact step (consent,
and an e-mail that is refused, on a kiosk with a keyboard: no on-screen keypad), and the
welcome screen of a kiosk with several surveys (each with its title and intro); and the
PIN prompt of a touch kiosk with its keypad (issue 9, section 3).

At 80x24 and 120x40, Danish and English, both themes, like tests/app/test_snapshots.py. Update
with ``pytest tests/app/test_snapshots_screens.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.snapshots import (
    DATA_DIR,
    compare,
    in_every_look,
    make_app,
    showing,
    survey_at_fixed_path,
)
from helpers.surveys import ALL_TYPES, CONTACT_SURVEY, SECOND
from kiosk.survey import load_survey

#: One worker for every snapshot module: they share the data folder shown on screen.
pytestmark = pytest.mark.xdist_group("snapshots")

SCREENS: dict[str, list[str]] = {
    "contact-consent": ["1", "1"],
    "contact-reach-refused": ["1", "1", "1", *"Ane", "enter", *"ane@", "enter"],
    "welcome-several": [],
    "pin-keypad": ["ctrl+o"],  # a touch kiosk's PIN prompt: digits, erase, OK
}


@pytest.fixture
def contact_path() -> Iterator[Path]:
    yield from survey_at_fixed_path(CONTACT_SURVEY, "contact")


@pytest.fixture
def second_path(contact_path: Path) -> Iterator[Path]:
    """A second survey beside the first (the first fixture clears the data directory)."""
    path = DATA_DIR.parent / "borgerkiosk-snapshot-second.yaml"
    path.write_text(SECOND, encoding="utf-8")
    yield path
    path.unlink(missing_ok=True)


@in_every_look(SCREENS)
def test_screen(
    snap_compare: Any,
    contact_path: Path,
    second_path: Path,
    screen: str,
    size: str,
    lang: str,
    theme: str,
) -> None:
    if screen == "welcome-several":
        contact_path.write_text(ALL_TYPES, encoding="utf-8")
    if screen == "pin-keypad":
        app = make_app(contact_path, "pin", lang, theme, touch=True)
    else:
        app = make_app(contact_path, screen, lang, theme)
    if screen == "welcome-several":
        app.surveys.append(load_survey(second_path))
    assert compare(snap_compare, app, size, showing(SCREENS[screen]))
