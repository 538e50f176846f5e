"""Kiosk behaviour: idle reset, lock-down keys, PIN and lockout, save failure, suspect, language.

The real app on a real store; the disk-full case is made in the OS layer (os.fdatasync
raising ENOSPC), as in the store's own fault tests, never by replacing our code.
"""

from __future__ import annotations

import errno
import os
from dataclasses import replace
from pathlib import Path

import pytest
from textual.command import CommandPalette

from helpers.pilot import click, current_id, keys, running, screen_text, wait_for
from kiosk.app.app import KioskApp
from kiosk.app.screens.organiser import OrganiserScreen
from kiosk.app.screens.pin import PinScreen
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.still_there import StillThereScreen
from kiosk.app.screens.thanks import ApologyScreen, ThanksScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.config import KioskConfig, PinCheck, hash_pin

pytestmark = pytest.mark.anyio

PIN = "2468"


@pytest.fixture(scope="module")
def pin_hash() -> str:
    return hash_pin(PIN)


def go_idle(app: KioskApp, *, timeout: float, grace: float) -> None:
    """Shorten the idle time once the keys are in: a loaded machine cannot go idle mid-keys."""
    app.idle_timeout, app.idle_grace = timeout, grace


async def test_idle_asks_then_saves_partial_and_forgets_the_visitor(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, store):
        await keys(pilot, "1", "enter", "2", "1")  # where=south, topics=[a]
        assert current_id(app) == "topics"
        go_idle(app, timeout=0.4, grace=0.4)
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        assert screen_text(app, "#dialog-title") == "Er du der stadig?"
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        (record,) = store.records()
        assert record["completed"] is False
        assert record["answers"] == {"where": "south", "topics": ["a"]}
        # nothing of that visitor can be reached: Back on welcome does nothing,
        # a new visit starts empty
        await keys(pilot, "escape")
        assert isinstance(app.screen, WelcomeScreen)
        assert len(app.screen_stack) == 1
        await keys(pilot, "1", "enter")
        screen = app.screen
        assert isinstance(screen, QuestionScreen) and screen.flow.answers == {}
        assert not screen.query(".option.-selected")


async def test_idle_prompt_answered_keeps_the_visit(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, store):
        await keys(pilot, "1", "enter", "2")
        go_idle(app, timeout=0.3, grace=5)
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        # the prompt is open; a loaded machine must not reopen it before the check below
        go_idle(app, timeout=60, grace=5)
        await keys(pilot, "x")
        assert current_id(app) == "topics"
        assert app.screen.flow.answers == {"where": "south"}  # type: ignore[attr-defined]
        assert len(store) == 0


async def test_idle_without_answers_saves_nothing(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, store):
        await keys(pilot, "1")
        go_idle(app, timeout=0.2, grace=0.2)
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert len(store) == 0


LOCKED = ["ctrl+c", "ctrl+q", "ctrl+z", "ctrl+backslash", "ctrl+p", "ctrl+d", "f1", "ctrl+s"]


@pytest.mark.parametrize("where", ["welcome", "text-field"])
async def test_lock_down_keys_leave_the_app_running(tmp_path: Path, where: str) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        if where == "text-field":
            await keys(pilot, "1", "enter", "1", "enter", "enter", "enter")
            assert current_id(app) == "words"
        expected = type(app.screen)
        for key in LOCKED:
            await keys(pilot, key)
            assert app.is_running, f"{key} stopped the app"
            assert type(app.screen) is expected, f"{key} changed the screen"
            assert not isinstance(app.screen, CommandPalette)
        assert app.return_code is None


async def test_pin_prompt_wrong_then_right_then_quit(tmp_path: Path, pin_hash: str) -> None:
    async with running(tmp_path, pin=PinCheck(pin_hash=pin_hash)) as (app, pilot, _store):
        assert screen_text(app, "#demo-badge") == ""
        await keys(pilot, "ctrl+o")
        assert isinstance(app.screen, PinScreen)
        await keys(pilot, *"1111", "enter")
        assert "Forkert PIN-kode. 4 forsøg tilbage." in screen_text(app, "#pin-message")
        await keys(pilot, *PIN, "enter")
        assert isinstance(app.screen, OrganiserScreen)
        assert "Synkronisering er ikke sat op." in screen_text(app, "#sync-status")
        await keys(pilot, "q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_five_wrong_pins_lock_the_prompt(tmp_path: Path, pin_hash: str) -> None:
    async with running(tmp_path, pin=PinCheck(pin_hash=pin_hash)) as (app, pilot, _store):
        await keys(pilot, "ctrl+o")
        for _ in range(5):
            await keys(pilot, *"0000", "enter")
        assert "Prøv igen om 60 sekunder" in screen_text(app, "#pin-message")
        await keys(pilot, *PIN, "enter")  # even the right PIN waits out the lock
        assert isinstance(app.screen, PinScreen)
        assert "For mange forkerte forsøg" in screen_text(app, "#pin-message")
        await keys(pilot, "escape")
        assert isinstance(app.screen, WelcomeScreen)
        await keys(pilot, "ctrl+o")  # reopening does not reset the lock
        assert "For mange forkerte forsøg" in screen_text(app, "#pin-message")


async def test_five_taps_on_the_corner_open_the_pin_prompt(tmp_path: Path, pin_hash: str) -> None:
    async with running(tmp_path, pin=PinCheck(pin_hash=pin_hash)) as (app, pilot, _store):
        for _ in range(4):
            await pilot.click(offset=(0, 0))
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.click(offset=(1, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))


async def test_session_pin_from_the_environment_wins(tmp_path: Path, pin_hash: str) -> None:
    check = PinCheck.from_config(KioskConfig(admin_pin_hash=pin_hash), {"KIOSK_ADMIN_PIN": "9999"})
    async with running(tmp_path, pin=check) as (app, pilot, _store):
        await keys(pilot, "ctrl+o", *PIN, "enter")
        assert isinstance(app.screen, PinScreen)
        await keys(pilot, *"9999", "enter")
        assert isinstance(app.screen, OrganiserScreen)


async def test_demo_mode_is_visible_and_needs_no_pin(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        assert screen_text(app, "#demo-badge") == "DEMO – ingen PIN sat"
        await keys(pilot, "1", "enter", "1")
        await keys(pilot, "ctrl+o")
        assert isinstance(app.screen, OrganiserScreen)
        await keys(pilot, "escape")
        assert current_id(app) == "topics"


async def test_organiser_counts(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        await keys(pilot, "1", "enter", "1", "enter", "enter", "enter", "enter", "enter")
        assert isinstance(app.screen, ThanksScreen)
        await keys(pilot, "space", "ctrl+o")
        counts = screen_text(app, "#counts")
        assert "Besvarelser i dag: 1" in counts
        assert "Alle typer (svar): 1 færdige, 0 delvise, 0 for hurtige" in counts
        assert "all-types" not in counts  # the survey's title, never its id
        health = screen_text(app, "#health")
        assert health.startswith("Lager: 1 besvarelse, 0 venter") or health.startswith(
            "Lager: 1 besvarelse, 1 venter"
        )
        assert "Lageret er i orden." in health


async def test_disk_full_shows_a_calm_apology_and_the_organiser_sees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    async with running(tmp_path, thanks_timeout=60) as (app, pilot, store):
        await keys(pilot, "1", "enter", "1", "enter", "enter", "enter", "enter")
        with monkeypatch.context() as patch:
            patch.setattr(os, "fdatasync", disk_full)
            await keys(pilot, "enter")
        assert isinstance(app.screen, ApologyScreen)
        assert "ikke din skyld" in screen_text(app, "#thanks-text")
        assert len(store) == 0
        await keys(pilot, "space")
        assert isinstance(app.screen, WelcomeScreen)
        await keys(pilot, "ctrl+o")
        health = screen_text(app, "#health")
        assert "Seneste fejl ved gemning" in health and "full" in health


async def test_too_fast_is_saved_as_suspect(tmp_path: Path) -> None:
    async with running(tmp_path, suspect_seconds=120) as (app, pilot, store):
        await keys(pilot, "1", "enter", "1", "enter", "enter", "enter", "enter", "enter")
        assert isinstance(app.screen, ThanksScreen)
        (record,) = store.records()
        assert record["suspect"] is True and record["completed"] is True


async def test_thanks_returns_to_welcome_after_its_timeout(tmp_path: Path) -> None:
    to_thanks = ["1", "enter", "1", "enter", "enter", "enter", "enter", "enter"]
    async with running(tmp_path, thanks_timeout=600) as (app, pilot, store):
        await keys(pilot, *to_thanks)
        screen = app.screen
        assert isinstance(screen, ThanksScreen) and screen.timeout == 600  # the setting's
        assert screen_text(app, "#thanks-text") == "Tak for svarene"
        assert screen.query_one("#followup-slot") is not None
        await keys(pilot, "space")  # any key ends it
        assert isinstance(app.screen, WelcomeScreen)
        # a short timeout now: the next visitor's thanks ends by itself, no key pressed
        # (not asserted while on screen: a loaded machine may already be past it)
        app.settings = replace(app.settings, thanks_timeout=0.3)
        await keys(pilot, *to_thanks)
        await wait_for(pilot, lambda: len(store) == 2 and isinstance(app.screen, WelcomeScreen))


async def test_language_switch_and_reset_for_the_next_visitor(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, store):
        names = [str(b.render()) for b in app.screen.query(".lang")]
        assert names == ["English"]
        await click(pilot, ".lang")
        await pilot.pause()
        assert screen_text(app, "#title") == "All types"
        assert [str(b.render()) for b in app.screen.query(".lang")] == ["Dansk"]
        await keys(pilot, "1")
        assert screen_text(app, "#next") == "Continue"
        await keys(pilot, "escape")
        assert isinstance(app.screen, WelcomeScreen)
        assert screen_text(app, "#title") == "Alle typer", "the next visitor starts in Danish"
        assert len(store) == 0


async def test_welcome_digit_beyond_the_buttons_does_nothing(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        await keys(pilot, "2", "9", "0")
        assert isinstance(app.screen, WelcomeScreen)
