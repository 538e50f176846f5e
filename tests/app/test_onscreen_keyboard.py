"""The on-screen keyboard, tapped with Pilot clicks like a finger on a touch screen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, TextArea

from helpers.pilot import click
from kiosk.app.widgets.onscreen_keyboard import (
    FALLBACK_LABELS,
    Key,
    OnScreenKeyboard,
    keyboard_labels,
)

W = TypeVar("W", bound=Widget)
SENTENCE = "Grønne tage på skolen, tak!"
DA_LABELS = {
    "space": "Mellemrum",
    "next": "Næste →",
    "backspace": "⌫",
    "shift": "⇧",
    "symbols": "?123",
    "letters": "abc",
    "newline": "Ny linje",
}


def _run(scenario: Callable[..., Awaitable[None]], *args: object) -> None:
    """Run an async Pilot scenario to the end (no async test plugin needed)."""
    asyncio.run(scenario(*args))


class TextApp(App[None]):
    """A question step as the app draws it: a field above, the keyboard below."""

    CSS = "TextArea { height: 4; }"

    def __init__(self) -> None:
        super().__init__()
        self.nexts: list[OnScreenKeyboard] = []
        self.pressed: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input(id="title", max_length=80)
        yield TextArea(id="description")
        yield OnScreenKeyboard("text", labels=DA_LABELS, multiline=True, id="keyboard")

    def on_on_screen_keyboard_next(self, message: OnScreenKeyboard.Next) -> None:
        self.nexts.append(message.keyboard)

    def on_on_screen_keyboard_key_pressed(self, message: OnScreenKeyboard.KeyPressed) -> None:
        self.pressed.append(message.key)


class NumberApp(App[None]):
    def __init__(self, negative: bool = False) -> None:
        super().__init__()
        self.negative = negative
        self.nexts = 0

    def compose(self) -> ComposeResult:
        yield Input(id="year", type="integer", max_length=4)
        yield OnScreenKeyboard("number", labels=DA_LABELS, negative=self.negative, id="pad")

    def on_on_screen_keyboard_next(self, _message: OnScreenKeyboard.Next) -> None:
        self.nexts += 1


def _shown(app: App, kind: type[W]) -> list[W]:
    """Widgets of ``kind`` on screen now (the kiosk keeps hidden answer areas mounted)."""
    return [widget for widget in app.screen.query(kind) if widget.region.area > 0]


def _key(app: App, caption: str) -> Key:
    """The key showing ``caption`` right now: found by what a visitor sees."""
    matches = [key for key in _shown(app, Key) if str(key.content) == caption]
    assert len(matches) == 1, f"{len(matches)} keys show {caption!r}"
    return matches[0]


async def _tap(pilot: Pilot, caption: str) -> None:
    await click(pilot, _key(pilot.app, caption))


async def _type(pilot: Pilot, text: str, labels: Mapping[str, str] = DA_LABELS) -> None:
    """Type ``text`` the way a visitor would: shift for capitals, ?123 for punctuation."""
    for char in text:
        if char == " ":
            await _tap(pilot, labels["space"])
        elif char == "\n":
            await _tap(pilot, labels["newline"])
        elif any(str(k.content) == char for k in _shown(pilot.app, Key)):
            await _tap(pilot, char)
        elif char.isupper():
            await _tap(pilot, labels["shift"])
            await _tap(pilot, char)  # the keys show capitals while shift is on
        else:
            await _tap(pilot, labels["symbols"])
            await _tap(pilot, char)
            await _tap(pilot, labels["letters"])
    await pilot.pause()


def test_types_a_danish_sentence_into_an_input() -> None:
    _run(_types_into_input)


async def _types_into_input() -> None:
    app = TextApp()
    async with app.run_test(size=(80, 24)) as pilot:
        title = app.query_one("#title", Input)
        title.focus()
        await pilot.pause()
        await _type(pilot, SENTENCE)
        assert title.value == SENTENCE
        assert app.focused is title  # the keys never took focus
        await _tap(pilot, "⌫")
        await pilot.pause()
        assert title.value == SENTENCE[:-1]
        await _tap(pilot, DA_LABELS["next"])
        await pilot.pause()
        assert app.nexts == [app.query_one(OnScreenKeyboard)]
        assert app.pressed == [*SENTENCE, "backspace"]


def test_types_a_danish_sentence_with_a_new_line_into_a_text_area() -> None:
    _run(_types_into_text_area)


async def _types_into_text_area() -> None:
    app = TextApp()
    async with app.run_test(size=(80, 24)) as pilot:
        area = app.query_one("#description", TextArea)
        area.focus()
        await pilot.pause()
        await _type(pilot, SENTENCE + "\nTak")
        assert area.text == SENTENCE + "\nTak"
        assert app.focused is area
        assert app.query_one("#title", Input).value == ""


def test_shift_is_for_one_letter_and_shows_capitals() -> None:
    _run(_shift_once)


async def _shift_once() -> None:
    app = TextApp()
    async with app.run_test(size=(80, 24)) as pilot:
        title = app.query_one("#title", Input)
        title.focus()
        await _tap(pilot, "⇧")
        await pilot.pause()
        assert _key(app, "Æ") and _key(app, "Ø") and _key(app, "Å")
        assert _key(app, "⇧").has_class("-on")
        await _tap(pilot, "Æ")
        await pilot.pause()
        assert _key(app, "æ") and not _key(app, "⇧").has_class("-on")
        await _tap(pilot, "æ")
        await pilot.pause()
        assert title.value == "Ææ"


def test_keypad_types_a_number() -> None:
    _run(_keypad)


async def _keypad() -> None:
    app = NumberApp()
    async with app.run_test(size=(80, 24)) as pilot:
        year = app.query_one("#year", Input)
        year.focus()
        for digit in "1942":
            await _tap(pilot, digit)
        await pilot.pause()
        assert year.value == "1942"
        await _tap(pilot, "5")  # max_length 4: the field refuses, as with a real keyboard
        await pilot.pause()
        assert year.value == "1942"
        await _tap(pilot, "⌫")
        await _tap(pilot, DA_LABELS["next"])
        await pilot.pause()
        assert year.value == "194"
        assert app.nexts == 1
        assert not any(
            str(key.content).isalpha() and len(str(key.content)) == 1 for key in app.query(Key)
        )


def test_keypad_minus_only_when_negative_numbers_are_allowed() -> None:
    _run(_keypad_minus)


async def _keypad_minus() -> None:
    app = NumberApp(negative=True)
    async with app.run_test(size=(80, 24)) as pilot:
        year = app.query_one("#year", Input)
        year.focus()
        for caption in "-12":
            await _tap(pilot, caption)
        await pilot.pause()
        assert year.value == "-12"
    async with NumberApp().run_test(size=(80, 24)) as pilot:
        assert not [key for key in pilot.app.query(Key) if str(key.content) == "-"]


@pytest.mark.parametrize("layout", ["text", "number"])
def test_fits_under_a_field_at_80x24_with_finger_sized_keys(layout: str) -> None:
    _run(_fits, layout)


async def _fits(layout: str) -> None:
    app = TextApp() if layout == "text" else NumberApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keyboard = app.query_one(OnScreenKeyboard)
        assert keyboard.region.height <= 12
        assert keyboard.region.bottom <= 24
        screen = app.screen.region
        for key in app.query(Key):
            assert key.region.width >= 3 and key.region.height >= 2, key.value
            assert screen.contains_region(key.region), key.value
            assert not key.can_focus


class NoFieldFocusedApp(TextApp):
    AUTO_FOCUS = None


def test_without_a_field_ever_focused_taps_type_nowhere() -> None:
    _run(_no_target)


async def _no_target() -> None:
    app = NoFieldFocusedApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await _tap(pilot, "a")
        await pilot.pause()
        assert app.focused is None
        assert app.query_one("#title", Input).value == ""
        assert app.query_one("#description", TextArea).text == ""
        assert app.pressed == ["a"]


class ScrollingApp(TextApp):
    """The keyboard inside a focusable scrolling area, as on the kiosk's question screen."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="area"):
            yield Input(id="title", max_length=80)
            yield OnScreenKeyboard("text", labels=DA_LABELS, id="keyboard")


def test_taps_inside_a_focusable_container_still_type_into_the_field() -> None:
    _run(_inside_scroll)


async def _inside_scroll() -> None:
    app = ScrollingApp()
    async with app.run_test(size=(80, 24)) as pilot:
        title = app.query_one("#title", Input)
        title.focus()
        await pilot.pause()
        await _type(pilot, "Hej æ")
        assert title.value == "Hej æ"
        assert app.focused is title


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="layout"):
        OnScreenKeyboard("qwerty")  # type: ignore[arg-type]


def test_keyboard_labels_come_from_translations_with_symbol_fallback() -> None:
    texts = {"keyboard.space": "Mellemrum", "keyboard.next": "Næste"}

    def translate(key: str) -> str:
        return texts[key]

    labels = keyboard_labels(translate)
    assert labels == {"space": "Mellemrum", "next": "Næste"}
    assert set(FALLBACK_LABELS) >= set(labels)


# --- in the kiosk app, with --touch ----------------------------------------------------------

TOUCH_SURVEY = """\
id: touch-test
version: 1
languages: [da, en]
title: { da: Berøring, en: Touch }
intro: { da: Prøv tastaturet., en: Try the keyboard. }
thanks: { da: Tak!, en: Thanks! }
questions:
  - id: kommentar
    type: text
    max_length: 300
    text: { da: "Er der andet, du vil sige?", en: "Anything else to say?" }
  - id: alder
    type: number
    min: 10
    max: 110
    text: { da: "Hvor gammel er du?", en: "How old are you?" }
"""


def test_touch_kiosk_answers_text_and_number_by_taps_only(tmp_path: Path) -> None:
    _run(_touch_kiosk, tmp_path)


async def _touch_kiosk(tmp_path: Path) -> None:
    from kiosk.app.app import KioskApp
    from kiosk.app.screens.thanks import ThanksScreen
    from kiosk.app.settings import app_settings
    from kiosk.store import RecordStore
    from kiosk.survey.loader import load_survey

    path = tmp_path / "touch.yaml"
    path.write_text(TOUCH_SURVEY, encoding="utf-8")
    survey = load_survey(path)
    data = tmp_path / "data"
    data.mkdir()
    with RecordStore(data) as store:
        app = KioskApp([survey], store, settings=app_settings(touch=True, thanks_timeout=600))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("1")  # the start button
            await pilot.pause()
            [keyboard] = _shown(app, OnScreenKeyboard)
            assert keyboard.keyset == "text"
            assert keyboard.region.bottom <= 24
            await _type(pilot, SENTENCE, keyboard.labels)
            field = app.focused  # a long answer's field wraps: a TextArea, not an Input
            assert isinstance(field, TextArea) and field.text == SENTENCE
            assert keyboard.labels["next"] not in _captions(app)  # one Next: the bar's
            await click(pilot, "#next")
            await pilot.pause()
            [keypad] = _shown(app, OnScreenKeyboard)
            assert keypad.keyset == "number" and "-" not in _captions(app)
            for digit in "42":
                await _tap(pilot, digit)
            await click(pilot, "#next")
            for _ in range(10):
                if isinstance(app.screen, ThanksScreen):
                    break
                await pilot.pause()
            assert isinstance(app.screen, ThanksScreen)
        [record] = store.records()
        assert record["answers"] == {"kommentar": SENTENCE, "alder": 42}


def _captions(app: App) -> set[str]:
    return {str(key.content) for key in _shown(app, Key)}
