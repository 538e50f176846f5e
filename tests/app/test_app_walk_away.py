"""Walking away from the organiser's screens, and a config file that holds every setting.

The PIN prompt and the organiser screen close themselves after the kiosk's idle time, so a
prompt opened in the middle of a visit cannot keep that visit (one Cancel away) from the
idle reset, and an organiser who walks away does not leave Quit to the next visitor.
The real app through Pilot, on a real store; timers are real and short, waits bounded.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers.pilot import click, keys, running, screen_text, wait_for
from kiosk.app.screens.organiser import OrganiserScreen
from kiosk.app.screens.pin import PinScreen
from kiosk.app.screens.still_there import StillThereScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.cli import cli
from kiosk.config import KioskConfig, PinCheck, hash_pin, load_config
from kiosk.paths import DEFAULT_SURVEY

pytestmark = pytest.mark.anyio


async def test_pin_prompt_left_open_mid_visit_closes_and_the_visit_is_reset(
    tmp_path: Path,
) -> None:
    pin = PinCheck(pin_hash=hash_pin("2468"))
    async with running(tmp_path, idle_timeout=600, idle_grace=0.3, pin=pin) as (
        app,
        pilot,
        store,
    ):
        await keys(pilot, "1", "enter", "2")  # where=south, then the visitor tries ctrl+o
        await keys(pilot, "ctrl+o")
        assert isinstance(app.screen, PinScreen)
        app.idle_timeout = 1.0  # short only now: a slow machine cannot idle between keys
        await wait_for(pilot, lambda: not isinstance(app.screen, PinScreen))
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert len(app.screen_stack) == 1, "nothing of that visit is left behind a Cancel"
        (record,) = store.records()
        assert record["completed"] is False and record["answers"] == {"where": "south"}


async def test_organiser_screen_left_open_closes_so_quit_is_not_left_to_visitors(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, idle_timeout=600, idle_grace=0.3) as (app, pilot, _store):
        await keys(pilot, "ctrl+o")  # demo mode: no PIN
        assert isinstance(app.screen, OrganiserScreen)
        app.idle_timeout = 0.3  # short only now: a slow machine cannot idle before the check
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        await keys(pilot, "q")
        assert app.is_running, "q on the welcome screen must not quit"


def test_init_writes_every_setting_with_its_default(tmp_path: Path) -> None:
    out = tmp_path / "kiosk.toml"
    args = ["init", "-o", str(out), "--kiosk-id", "stand-3", "--survey", str(DEFAULT_SURVEY)]
    args += ["--no-pin", "--suspect-seconds", "5", "--idle-grace", "20"]
    result = CliRunner().invoke(cli, args, input="\n\n\n")  # data, lang, touch: defaults
    assert result.exit_code == 0, result.output
    written = tomllib.loads(out.read_text(encoding="utf-8"))
    defaults = KioskConfig()
    assert written["theme"] == defaults.theme
    assert written["idle_timeout"] == defaults.idle_timeout
    assert written["thanks_timeout"] == defaults.thanks_timeout
    assert written["idle_grace"] == 20.0 and written["suspect_seconds"] == 5.0
    assert "admin_pin_hash" not in written
    assert (written["data"], written["lang"], written["touch"]) == ("kiosk-data", "da", False)
    config = load_config(out)
    assert (config.suspect_seconds, config.idle_grace) == (5.0, 20.0)


async def test_idle_prompt_covered_by_the_pin_prompt_still_resets(tmp_path: Path) -> None:
    pin = PinCheck(pin_hash=hash_pin("2468"))
    # a grace long enough for a loaded machine to get the PIN prompt up before it runs out
    async with running(tmp_path, idle_timeout=600, idle_grace=3.0, pin=pin) as (
        app,
        pilot,
        store,
    ):
        await keys(pilot, "1", "enter", "3")
        app.idle_timeout = 0.2  # short only now: a slow machine cannot idle between keys
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        await keys(pilot, "ctrl+o")  # the PIN prompt covers "are you still there?"
        assert isinstance(app.screen, PinScreen)
        # the grace runs out under the PIN prompt; the prompt then closes by itself
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), seconds=10)
        assert len(app.screen_stack) == 1
        (record,) = store.records()
        assert record["completed"] is False and record["answers"] == {"where": "away"}


async def test_language_left_switched_on_welcome_goes_back_after_the_idle_time(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, idle_timeout=600) as (app, pilot, store):
        await click(pilot, ".lang")
        await wait_for(pilot, lambda: screen_text(app, "#title") == "All types")
        app.idle_timeout = 0.2  # short only now: a slow machine cannot idle before the check
        await wait_for(pilot, lambda: screen_text(app, "#title") == "Alle typer")
        assert isinstance(app.screen, WelcomeScreen) and app.lang == "da"
        assert len(store) == 0


def test_run_refuses_a_language_the_kiosk_does_not_have(tmp_path: Path) -> None:
    args = ["run", str(DEFAULT_SURVEY), "--data", str(tmp_path / "data"), "--lang", "fr"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "'fr'" in result.output and "da, en" in result.output
