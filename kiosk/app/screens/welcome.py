"""The first thing a visitor sees: title, intro, big start buttons and the language switch.

A language chosen here by a visitor who then walks away without starting goes back to the
kiosk's own after the idle time, so the next visitor does not find it switched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from kiosk.app.screens.base import KioskScreen
from kiosk.app.widgets.tap_button import NavButton, TapButton
from kiosk.i18n import localize


@dataclass(frozen=True)
class StartOption:
    """One start button: a survey, or the idea card of a survey."""

    kind: Literal["response", "idea"]
    survey_index: int
    label: str


class LanguageButton(TapButton):
    """A language switch: Enter presses it as Space does (it is not an answer to a question)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space,enter", "tap", show=False)]


class WelcomeScreen(KioskScreen):
    """Shows :meth:`KioskApp.start_options`; digits 1..n press the n-th start button."""

    class StartChosen(Message):
        def __init__(self, option: StartOption) -> None:
            super().__init__()
            self.option = option

    class LanguageChosen(Message):
        def __init__(self, lang: str) -> None:
            super().__init__()
            self.lang = lang

    def compose(self) -> ComposeResult:
        kiosk = self.kiosk
        survey = kiosk.surveys[0]
        lang = kiosk.lang
        with Horizontal(id="top-bar"):
            yield Static("", id="corner")
            yield Static(self.t("welcome.demo") if kiosk.demo else "", id="demo-badge")
        several = len(kiosk.surveys) > 1
        with VerticalScroll(id="welcome-body"):
            if several:  # each survey's own title and intro are at its button
                yield Static(self.t("welcome.choose"), id="title", markup=False)
            else:
                yield Static(localize(survey.title, lang), id="title", markup=False)
                yield Static(localize(survey.intro, lang), id="intro", markup=False)
            with Vertical(id="start-buttons"):
                for number, option in enumerate(self.options(), start=1):
                    intro = ""
                    if several and option.kind == "response":
                        intro = localize(kiosk.surveys[option.survey_index].intro, lang)
                    classes = "start -with-intro" if intro else "start"
                    yield NavButton(f"{number}  {option.label}", value=option, classes=classes)
                    if intro:
                        yield Static(intro, classes="start-intro", markup=False)
            yield Static(self.t("welcome.hint"), id="welcome-hint", classes="hint")
        with Horizontal(id="languages"):
            yield Static(self.t("language.switch") + ":", classes="label")
            for other in kiosk.languages():
                if other != lang:
                    name = kiosk.t.language_name(other)
                    yield LanguageButton(name, value=other, classes="lang")

    def options(self) -> list[StartOption]:
        return self.kiosk.start_options()

    def on_mount(self) -> None:
        buttons = self.query(".start")
        if buttons:
            buttons.first().focus(scroll_visible=False)

    def idle_for(self, seconds: float) -> None:
        kiosk = self.kiosk
        if seconds >= kiosk.idle_timeout and kiosk.lang != kiosk.default_lang:
            self.post_message(self.LanguageChosen(kiosk.default_lang))

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.isdigit() and event.character != "0":
            options = self.options()
            number = int(event.character)
            if number <= len(options):
                event.stop()
                self.post_message(self.StartChosen(options[number - 1]))

    def on_tap_button_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        value: Any = event.button.value
        if isinstance(value, StartOption):
            self.post_message(self.StartChosen(value))
        elif isinstance(value, str):
            self.post_message(self.LanguageChosen(value))
