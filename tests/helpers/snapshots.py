"""The snapshot matrix: every screen in each size, language and theme, the app built for it
with a fixed data directory and survey path (both on screen at times), and the keys that
bring each screen up with the text cursors still."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from kiosk.app.app import KioskApp
from kiosk.app.settings import app_settings
from kiosk.config import PinCheck
from kiosk.store import RecordStore
from kiosk.survey import load_survey

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}

THEMES = ("default", "high-contrast")

LANGS = ("da", "en")

#: A fixed path: the organiser screen shows the data directory.
DATA_DIR = Path(tempfile.gettempdir()) / "borgerkiosk-snapshot-data"

#: A PIN hash made once (hash_pin salts randomly; the hash is never on screen anyway).
PIN_HASH = "scrypt$16384$8$1$00112233445566778899aabbccddeeff$" + "0" * 64

TO_THANKS = ["1", "enter", "1", "enter", "enter", "enter", "enter", "enter"]


def survey_at_fixed_path(text: str, name: str) -> Iterator[Path]:
    """A survey file and an empty data directory at fixed paths (both on screen at times),
    removed afterwards; the body of each snapshot file's survey fixture."""
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True)
    path = DATA_DIR.parent / f"borgerkiosk-snapshot-{name}.yaml"
    path.write_text(text, encoding="utf-8")
    yield path
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    path.unlink(missing_ok=True)


async def press_keys(pilot: Pilot[None], keys: list[str]) -> None:
    """Each key as a visitor presses it, letting the app settle after each."""
    await pilot.pause()
    for key in keys:
        await pilot.press(key)
        await pilot.pause()


async def still_cursors(pilot: Pilot[None]) -> None:
    """Stop the text cursors blinking: a blinking cursor would make the picture random."""
    for field in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(field, Input | TextArea)
        field.cursor_blink = False
        # TextArea caches its lines under a key that leaves the cursor out once blinking
        # stops: a line drawn in the blink's "off" phase would stay cursorless. Redraw all.
        field.notify_style_update()
        field.refresh()
    await pilot.pause()


def showing(keys: list[str]) -> Callable[[Pilot[None]], Awaitable[None]]:
    """The ``run_before`` of a screen reached by ``keys`` alone: press them, still the cursors."""

    async def run_before(pilot: Pilot[None]) -> None:
        await press_keys(pilot, keys)
        await still_cursors(pilot)

    return run_before


def make_app(survey_path: Path, screen: str, lang: str, theme: str, **more: Any) -> KioskApp:
    settings = app_settings(
        kiosk_id="kiosk-snap",
        lang=lang,
        theme=theme,
        thanks_timeout=600,
        idle_timeout=600,
        idle_grace=600,
        suspect_seconds=0,
        **more,
    )
    pin = PinCheck(pin_hash=PIN_HASH) if screen == "pin" else PinCheck()
    return KioskApp([load_survey(survey_path)], RecordStore(DATA_DIR), settings=settings, pin=pin)


def in_every_look(screens: Iterable[str]) -> Callable[[Callable[..., None]], Any]:
    """Parametrize a snapshot test by screen, size, language and theme (ids in that order)."""

    def parametrize(test: Callable[..., None]) -> Any:
        for name, values in (
            ("screen", sorted(screens)),
            ("size", sorted(SIZES)),
            ("lang", LANGS),
            ("theme", THEMES),
        ):
            test = pytest.mark.parametrize(name, values)(test)
        return test

    return parametrize


def compare(
    snap_compare: Any, app: KioskApp, size: str, run_before: Callable[[Pilot[None]], Any]
) -> bool:
    """The app's screen at ``size`` after ``run_before``, against its stored snapshot."""
    try:
        return bool(snap_compare(app, terminal_size=SIZES[size], run_before=run_before))
    finally:
        app.store.close()
