"""Touch-only kiosks: the organiser gets in with taps alone, no text speaks of keys, and every
screen has one Next. The real app on a real store, driven by Pilot clicks like a finger."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static

from helpers.pilot import click, running, screen_text, wait_for
from helpers.surveys import IDEAS
from kiosk.app.app import ORGANISER_QUIT, KioskApp
from kiosk.app.idea_flow import CONSENT, DESCRIPTION, NAME, REACH, THEME, TITLE
from kiosk.app.screens.organiser import OrganiserScreen
from kiosk.app.screens.pin import PinScreen
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.app.widgets.onscreen_keyboard import NEXT, Key
from kiosk.config import PinCheck, hash_pin
from kiosk.i18n import Translator, load_language

pytestmark = pytest.mark.anyio

PIN = "2468"
#: Words that speak of a keyboard, per language: none may show on a touch kiosk.
KEY_WORDS = {
    "da": re.compile(r"\btast|\benter\b|\btab\b|tallene|tastatur|\(q\)", re.IGNORECASE),
    "en": re.compile(r"\bkeys?\b|\benter\b|\btab\b|\bpress|keyboard|\(q\)", re.IGNORECASE),
}


async def tap_key(pilot: Pilot[None], app: KioskApp, value: str) -> None:
    """Tap the on-screen key ``value`` (a digit, "backspace" or "next") that is on screen
    (each question has its own keyboard, hidden with its question)."""
    key = next(k for k in app.screen.query(Key) if k.value == value and shown(k))
    await click(pilot, key)
    await pilot.pause()


async def test_a_touch_only_organiser_gets_in_with_corner_taps_and_the_keypad(
    tmp_path: Path,
) -> None:
    pin = PinCheck(pin_hash=hash_pin(PIN))
    async with running(tmp_path, touch=True, pin=pin) as (app, pilot, _store):
        for _ in range(5):
            await pilot.click(offset=(0, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        assert screen_text(app, ".dialog-text") == "Tryk din PIN-kode herunder"
        for digit in "1111":
            await tap_key(pilot, app, digit)
        await tap_key(pilot, app, NEXT)  # the keypad's OK
        assert screen_text(app, "#pin-message") == "Forkert PIN-kode. 4 forsøg tilbage."
        for value in ("2", "4", "6", "9", "backspace", "8"):
            await tap_key(pilot, app, value)
        assert app.screen.query_one("#pin-input", Input).value == PIN
        ok = next(k for k in app.screen.query(Key) if k.value == NEXT)
        assert str(ok.render()) == "OK"
        await click(pilot, ok)
        await wait_for(pilot, lambda: isinstance(app.screen, OrganiserScreen))
        assert screen_text(app, "#quit") == "Luk kiosken"
        await click(pilot, "#quit")
        await wait_for(pilot, lambda: not app.is_running)
    assert app.return_value == ORGANISER_QUIT


async def test_the_keypad_is_only_there_on_a_touch_kiosk_and_cancel_is_a_tap(
    tmp_path: Path,
) -> None:
    pin = PinCheck(pin_hash=hash_pin(PIN))
    async with running(tmp_path, pin=pin) as (app, pilot, _store):
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        assert not app.screen.query(Key)
        assert screen_text(app, ".dialog-text") == "Skriv PIN-koden"
    (tmp_path / "touch").mkdir()
    async with running(tmp_path / "touch", touch=True, pin=pin) as (app, pilot, _store):
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, PinScreen))
        assert sorted(k.value for k in app.screen.query(Key)) == sorted(
            [*"0123456789", "backspace", NEXT]
        )
        await click(pilot, "#pin-cancel")
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))


@pytest.mark.parametrize("lang", ["da", "en"])
def test_no_touch_text_in_the_translations_speaks_of_keys(lang: str) -> None:
    touch, plain = Translator(lang, touch=True), Translator(lang)
    spoken = {key: touch(key) for key in load_language(lang) if not key.startswith("keyboard.")}
    assert {key: text for key, text in spoken.items() if KEY_WORDS[lang].search(text)} == {}
    # the twins are what a touch kiosk shows, and each has a key without "_touch" to replace
    assert touch("welcome.hint") != plain("welcome.hint")
    twins = [key for key in load_language(lang) if key.endswith("_touch")]
    assert len(twins) >= 8
    assert all(key.removesuffix("_touch") in load_language(lang) for key in twins)


def shown(widget: Widget) -> bool:
    """On screen now: displayed itself and inside displayed parents, with an area."""
    return bool(widget.region.area) and all(
        getattr(node, "display", True) for node in widget.ancestors_with_self
    )


def visible_text(app: KioskApp) -> str:
    texts = [str(w.render()) for w in app.screen.query(Static) if shown(w)]
    texts += [w.placeholder for w in app.screen.query(Input) if shown(w)]
    return "\n".join(texts)


def nexts_shown(app: KioskApp) -> int:
    """Controls that move on: the bar's Next and any keyboard Next key, on screen now."""
    keys = [k for k in app.screen.query(Key) if k.value == NEXT and shown(k)]
    return len(keys) + sum(1 for b in app.screen.query("#next") if shown(b))


@pytest.mark.parametrize("lang", ["da", "en"])
async def test_a_touch_visit_shows_no_key_words_and_one_next_on_each_screen(
    tmp_path: Path, lang: str
) -> None:
    words = KEY_WORDS[lang]
    async with running(tmp_path, touch=True, lang=lang, size=(80, 24)) as (app, pilot, _):
        assert not words.search(visible_text(app)), visible_text(app)
        await click(pilot, ".start")
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        seen = []
        while isinstance(app.screen, QuestionScreen) and len(seen) < 12:
            await pilot.pause()
            step = screen.flow.current.id
            seen.append(step)
            assert not words.search(visible_text(app)), (step, visible_text(app))
            assert nexts_shown(app) == 1, step
            if step == "where":  # required: answer by tapping the first choice
                await click(pilot, screen.body.query(".option").first())
            elif step == "age":
                await tap_key(pilot, app, "4")
                await tap_key(pilot, app, "2")
            if isinstance(app.screen, QuestionScreen) and screen.flow.current.id == step:
                await click(pilot, "#next")  # (a tapped choice may have moved on already)
            await pilot.pause()
        assert seen == ["hello", "where", "topics", "mood", "join", "words", "age"]
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        assert not words.search(visible_text(app)), visible_text(app)


async def test_every_step_of_a_touch_idea_card_has_one_next_and_no_key_words(
    tmp_path: Path,
) -> None:
    words = KEY_WORDS["da"]
    async with running(tmp_path, survey_text=IDEAS, touch=True, size=(80, 24)) as (
        app,
        pilot,
        _store,
    ):
        await click(pilot, app.screen.query(".start")[1])  # "Del en idé"
        await wait_for(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        seen = []
        while isinstance(app.screen, QuestionScreen) and len(seen) < 12:
            await pilot.pause()
            step = screen.flow.current.id
            seen.append(step)
            assert not words.search(visible_text(app)), (step, visible_text(app))
            assert nexts_shown(app) == 1, step
            if step in (THEME, CONSENT):  # the first: a theme; "Ja, kontakt mig"
                await click(pilot, screen.body.query(".option").first())
            elif step in (TITLE, NAME):
                await tap_key(pilot, app, "a")
            elif step == REACH:
                for digit in "12345678":
                    await tap_key(pilot, app, digit)
            if isinstance(app.screen, QuestionScreen) and screen.flow.current.id == step:
                await click(pilot, "#next")  # (a tapped choice may have moved on already)
            await pilot.pause()
        assert DESCRIPTION in seen and REACH in seen, " ".join(seen)
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        assert not words.search(visible_text(app)), visible_text(app)
