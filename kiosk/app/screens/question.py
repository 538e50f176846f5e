"""One question at a time. A single screen per visit whose answer area is swapped in place."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from kiosk.app.flow import QuestionStep, VisitFlow
from kiosk.app.progress import visit_progress
from kiosk.app.screens.base import KioskScreen
from kiosk.app.text import localize
from kiosk.app.widgets.bodies import AnswerBody
from kiosk.app.widgets.tap_button import NavButton, TapButton


class QuestionScreen(KioskScreen):
    """Draws :attr:`VisitFlow.current`; Next/Back/digits/Enter/Escape drive the flow."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,left", "app.focus_previous", show=False),
        Binding("down,right", "app.focus_next", show=False),
    ]

    class Finished(Message):
        """The visitor went past the last step: save and thank."""

        def __init__(self, flow: VisitFlow) -> None:
            super().__init__()
            self.flow = flow

    class Left(Message):
        """Back from the first step: the visitor leaves before answering."""

        def __init__(self, flow: VisitFlow) -> None:
            super().__init__()
            self.flow = flow

    def __init__(self, flow: VisitFlow, survey: Any) -> None:
        super().__init__()
        self.flow = flow
        self.survey = survey
        self._pressed_at: float | None = None
        self._bodies: dict[int, AnswerBody] = {}
        self._shown: AnswerBody | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield Static("", id="corner")
            title = localize(self.survey.title, self.kiosk.lang)
            yield Static(title, id="survey-title", markup=False)
            yield Static("", id="progress")
        with VerticalScroll(id="question-area"):
            yield Static("", id="question-text", markup=False)
            yield Static("", id="question-help", classes="hint", markup=False)
            yield Vertical(id="answer-area")
            yield Static("", id="message", markup=False)
        with Horizontal(id="nav"):
            yield NavButton(self.t("question.back"), value="back", id="back")
            yield NavButton(self.t("question.next"), value="next", id="next")

    async def on_mount(self) -> None:
        # Every answer area is built once, hidden, when the visit starts; a step change then
        # only flips which one is displayed (no mounting per key press: that is the speed).
        bodies = []
        for step in self.flow.steps:
            body = self.kiosk.body_for_step(step, self.flow.answers.get(step.id))
            body.display = False
            self._bodies[id(step)] = body
            bodies.append(body)
        await self.query_one("#answer-area", Vertical).mount(*bodies)
        await self.show_step()

    # -- drawing -------------------------------------------------------------------------
    async def show_step(self) -> None:
        """Swap in the current step's text and answer area (no new Screen: it is faster)."""
        flow, lang = self.flow, self.kiosk.lang
        step = flow.current
        question = step.question if isinstance(step, QuestionStep) else step
        number, total = visit_progress(flow)
        body = self._bodies.get(id(step))
        with self.app.batch_update():
            progress_key = "idea.progress" if flow.kind == "idea" else "question.progress"
            self.query_one("#progress", Static).update(
                self.t(progress_key, number=number, total=total) if number else ""
            )
            self.query_one("#question-text", Static).update(localize(question.text, lang))
            help_text = localize(getattr(question, "help", None), lang)
            help_widget = self.query_one("#question-help", Static)
            help_widget.update(help_text)
            help_widget.display = bool(help_text)
            self.query_one("#message", Static).update("")
            self.query_one("#back", NavButton).update(self.t("question.back"))
            self._update_next_label()
            if body is None:  # not mounted up front (a step added to the flow later)
                body = self.kiosk.body_for_step(step, flow.value())
                self._bodies[id(step)] = body
                await self.query_one("#answer-area", Vertical).mount(body)
            if self._shown is not None and self._shown is not body:
                self._shown.display = False
            body.display = True
            self._shown = body
            if not body.focus_first():
                self.query_one("#next", NavButton).focus(scroll_visible=False)
            self.query_one("#question-area", VerticalScroll).scroll_home(animate=False)
        self._measure()

    def _update_next_label(self) -> None:
        flow = self.flow
        if not flow.current.counted:
            key = "question.continue"
        elif flow.can_skip():
            key = "question.skip"
        elif flow.is_last():
            key = "question.finish"
        else:
            key = "question.next"
        self.query_one("#next", NavButton).update(self.t(key))

    def _measure(self) -> None:
        started = self._pressed_at
        self._pressed_at = None
        if started is not None:
            meter = self.kiosk.latency
            self.call_after_refresh(lambda: meter.record(time.perf_counter() - started))

    def show_message(self, key: str, **values: Any) -> None:
        self.query_one("#message", Static).update(self.t(key, **values))

    @property
    def body(self) -> AnswerBody:
        """The answer area on screen now."""
        assert self._shown is not None
        return self._shown

    # -- moving ---------------------------------------------------------------------------
    async def go_next(self) -> None:
        problem = self.flow.problem()
        if problem is not None:
            key, values = problem
            self.show_message(key, **values)
            self._pressed_at = None
            return
        self.flow.next()
        if self.flow.finished:
            self.post_message(self.Finished(self.flow))
            return
        await self.show_step()

    async def go_back(self) -> None:
        if self.flow.back():
            await self.show_step()
        else:
            self.post_message(self.Left(self.flow))

    # -- input ----------------------------------------------------------------------------
    async def on_key(self, event: events.Key) -> None:
        self._pressed_at = time.perf_counter()
        focused = self.focused
        if event.key == "escape":
            event.stop()
            await self.go_back()
        elif event.key == "enter":
            event.stop()
            if (
                isinstance(focused, TapButton)
                and not isinstance(focused, NavButton)
                and self.flow.current.single_answer
            ):
                focused.action_tap()
            else:
                await self.go_next()
        elif (
            event.character
            and event.character in "123456789"
            and self.body.pick(int(event.character))
        ):
            event.stop()

    async def on_tap_button_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        if self._pressed_at is None:
            self._pressed_at = time.perf_counter()
        if event.button.value == "next":
            await self.go_next()
        elif event.button.value == "back":
            await self.go_back()

    async def on_answer_body_changed(self, event: AnswerBody.Changed) -> None:
        event.stop()
        self.flow.answer(event.value)
        self.query_one("#message", Static).update("")
        self._update_next_label()
        if event.advance:
            if self._pressed_at is None:
                self._pressed_at = time.perf_counter()
            await self.go_next()

    def on_answer_body_refused(self, event: AnswerBody.Refused) -> None:
        event.stop()
        self.show_message(event.key, **event.values)

    async def on_answer_body_submitted(self, event: AnswerBody.Submitted) -> None:
        event.stop()
        await self.go_next()

    def on_answer_body_leave_field(self, event: AnswerBody.LeaveField) -> None:
        event.stop()
        self.query_one("#next", NavButton).focus(scroll_visible=False)
