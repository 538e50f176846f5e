"""One question at a time. A single screen per visit whose answer area is swapped in place."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual._time import get_time
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from kiosk.app.flow import QuestionStep, VisitFlow
from kiosk.app.progress import visit_progress
from kiosk.app.screens.base import KioskScreen
from kiosk.app.widgets.bodies import AnswerBody, Picked
from kiosk.app.widgets.tap_button import NavButton, TapButton
from kiosk.i18n import localize

if TYPE_CHECKING:
    from kiosk.survey.model import Survey


class QuestionScreen(KioskScreen):
    """Draws :attr:`VisitFlow.current`; Next/Back/digits/Enter/Escape drive the flow.

    An input acts only on the question that was on screen when it arrived. Keys and taps
    come in queues, so a burst (``12``, a double tap, ``hej`` and Enter) is handled while
    the screen already moves on; three rules keep each input with its own question:

    - Input that arrived before the current question was shown is dropped
      (:meth:`takes_input`, by the time Textual stamps on every event): the ``2`` of ``12``
      was meant for the question the ``1`` answered. After a pick that moves on, input
      stays closed while the chosen answer shows for the settle time, then the next
      question opens.
    - Keys act here, at once, not through a message queued behind them: Enter reads the
      answer from the widget on screen (:meth:`AnswerBody.read_value`), so the ``hej``
      typed just before it is there.
    - Every message of an answer body carries the flow's turn it was made in, and the
      flow refuses an answer for any other turn (:meth:`VisitFlow.answer`).
    """

    #: How long a digit that may begin a longer point (the 1 of 10) waits for the next.
    DIGIT_WAIT_SECONDS: ClassVar[float] = 0.7

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

    def __init__(self, flow: VisitFlow, survey: Survey) -> None:
        super().__init__()
        self.flow = flow
        self.survey = survey
        self._pressed_at: float | None = None
        self._bodies: dict[int, AnswerBody] = {}
        self._shown: AnswerBody | None = None
        #: Input that arrived before this time (Textual's event clock) is dropped; infinity
        #: while nothing may be answered (before the first step, settling, finished).
        self._open_at = math.inf
        self._settle_started: float | None = None
        self._digit_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield Static("", id="corner")
            title = localize(self.survey.title, self.kiosk.lang)
            yield Static(title, id="survey-title", markup=False)
            yield Static("", id="progress")
        with VerticalScroll(id="question-area"):
            yield Static("", id="question-text", markup=False)
            yield Static("", id="question-help", classes="hint", markup=False)
            with Vertical(id="answer-area"):
                yield from self._build_bodies()
            yield Static("", id="message", markup=False)
        with Horizontal(id="nav"):
            yield NavButton(self.t("question.back"), value="back", id="back")
            yield NavButton(self.t("question.next"), value="next", id="next")

    def _build_bodies(self) -> list[AnswerBody]:
        """Every answer area, built once and hidden, with the screen: a step change then only
        flips which one is displayed (no mounting per key press: that is the speed). Built in
        compose, they are mounted with the screen in one pass, so the first question is
        drawn once the visit's screen is complete, not while its answer areas still mount
        (which kept a first tap waiting behind the mounting)."""
        bodies = []
        for step in self.flow.steps:
            body = self.kiosk.body_for_step(step, self.flow.answers.get(step.id))
            body.display = False
            self._bodies[id(step)] = body
            bodies.append(body)
        return bodies

    async def on_mount(self) -> None:
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
            self._set_text(
                "#progress", self.t(progress_key, number=number, total=total) if number else ""
            )
            self._set_text("#question-text", localize(question.text, lang))
            help_text = localize(getattr(question, "help", None), lang)
            self._set_text("#question-help", help_text)
            self.query_one("#question-help", Static).display = bool(help_text)
            self._set_text("#message", "")
            self._set_text("#back", self.t("question.back"))
            self._update_next_label()
            if body is None:  # not mounted up front (a step added to the flow later)
                body = self.kiosk.body_for_step(step, flow.value())
                self._bodies[id(step)] = body
                await self.query_one("#answer-area", Vertical).mount(body)
            if self._shown is not None and self._shown is not body:
                self._shown.display = False
            self.query_one("#answer-area", Vertical).set_class(body.FILLS, "-fills")
            body.turn = flow.turn
            body.show_value(flow.value())  # what the flow holds, whatever was typed before
            body.display = True
            self._shown = body
            if not body.focus_first():
                self.query_one("#next", NavButton).focus(scroll_visible=False)
            self.query_one("#question-area", VerticalScroll).scroll_home(animate=False)
        self._open_at = get_time()
        self._measure()

    def _update_next_label(self) -> None:
        flow = self.flow
        if flow.finished:
            return
        if not flow.current.counted:
            key = "question.continue"
        elif flow.can_skip():
            key = "question.skip"
        elif flow.is_last():
            key = "question.finish"
        else:
            key = "question.next"
        self._set_text("#next", self.t(key))

    def _set_text(self, selector: str, text: str) -> None:
        """Update a text only when it changes: every update repaints its widget, and a step
        change would otherwise redraw Back, the message and the help though they stay."""
        widget = self.query_one(selector, Static)
        if widget.content != text:
            widget.update(text)

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
    def takes_input(self, at: float) -> bool:
        """Whether input that arrived at ``at`` (an event's ``time``) is for this question."""
        return at >= self._open_at

    def _commit(self) -> None:
        """Take the answer from the widget on screen into the flow, now."""
        if self.flow.finished or self._shown is None:
            return
        self.flow.answer(self._shown.read_value(), step=self.flow.current, turn=self.flow.turn)

    async def go_next(self) -> None:
        if self.flow.finished:
            return
        self._commit()
        problem = self.flow.problem()
        if problem is not None:
            key, values = problem
            self.show_message(key, **values)
            self.body.reopen()
            self._update_next_label()
            self._pressed_at = None
            self._open_at = min(self._open_at, get_time())  # open again after a settle
            return
        self.flow.next()
        if self.flow.finished:
            self._open_at = math.inf  # a second Enter in the burst must not act again
            self.post_message(self.Finished(self.flow))
            return
        await self.show_step()

    async def go_back(self) -> None:
        if self.flow.finished:
            return
        self._commit()
        if self.flow.back():
            await self.show_step()
        else:
            self._open_at = math.inf
            self.post_message(self.Left(self.flow))

    async def pick(self, value: Any) -> None:
        """An option chosen (digit, tap, Space or Enter on it) on the body on screen."""
        picked: Picked | None = self.body.choose(value)
        if picked is None:
            return
        if not self.flow.answer(picked.value, step=self.flow.current, turn=self.flow.turn):
            return
        self._set_text("#message", "")
        self._update_next_label()
        if picked.advance:
            await self._advance_after_pick()

    async def _advance_after_pick(self) -> None:
        """Show the chosen answer as chosen for the settle time, taking no input, then move
        on: a double tap or a bouncing key cannot answer the next question."""
        settle = self.kiosk.settings.settle_seconds
        if settle <= 0:
            await self.go_next()
            return
        self._open_at = math.inf
        turn = self.flow.turn
        self._settle_started = time.perf_counter()

        async def settled() -> None:
            started, self._settle_started = self._settle_started, None
            if self.flow.turn != turn or self.flow.finished or not self.is_attached:
                return
            if started is not None:
                waited = time.perf_counter() - started
                self.kiosk.settle_meter.record(waited)
                if self._pressed_at is not None:  # key-to-screen latency leaves it out
                    self._pressed_at += waited
            await self.go_next()

        self.set_timer(settle, settled)

    # -- input ----------------------------------------------------------------------------
    def _forward_event(self, event: events.Event) -> None:
        # The one door every mouse event of this screen goes through (the app's and
        # Pilot's): a tap that arrived before the question on screen was shown is dropped.
        if isinstance(event, events.MouseDown | events.MouseUp | events.Click) and (
            not self.takes_input(event.time)
        ):
            return
        super()._forward_event(event)

    async def on_key(self, event: events.Key) -> None:
        if not self.takes_input(event.time) or self.flow.finished:
            event.stop()
            event.prevent_default()
            return
        self._pressed_at = time.perf_counter()
        focused = self.focused
        if event.key == "escape":
            event.stop()
            await self.go_back()
        elif event.key == "enter":
            event.stop()
            pending = self.body.take_pending()
            if pending is not None:  # the "1" typed on a 0-10 scale
                await self.pick(pending)
            elif (
                isinstance(focused, TapButton)
                and not isinstance(focused, NavButton)
                and self.flow.current.single_answer
                and self.body in focused.ancestors
            ):
                await self.pick(focused.value)
            else:
                await self.go_next()
        elif event.key == "space" and isinstance(focused, TapButton):
            # Here and now, not by the button's binding: that would act after the keys
            # queued behind this one.
            event.stop()
            event.prevent_default()
            await self._press(focused)
        elif event.character and event.character in "0123456789":
            outcome = self.body.digit(event.character)
            if outcome is None:
                return
            event.stop()
            if self._digit_timer is not None:
                self._digit_timer.stop()
                self._digit_timer = None
            kind, value = outcome
            if kind == "pick":
                await self.pick(value)
            else:
                self._wait_for_digit()

    def _wait_for_digit(self) -> None:
        """After the moment, take the point typed so far (if it is one)."""
        turn, body = self.flow.turn, self.body

        async def waited() -> None:
            self._digit_timer = None
            if self.flow.turn != turn or self.flow.finished or body is not self._shown:
                return
            pending = body.take_pending()
            if pending is not None:
                self._pressed_at = time.perf_counter()
                await self.pick(pending)

        self._digit_timer = self.set_timer(self.DIGIT_WAIT_SECONDS, waited)

    async def _press(self, button: TapButton) -> None:
        if isinstance(button, NavButton):
            if button.value == "next":
                await self.go_next()
            elif button.value == "back":
                await self.go_back()
        elif self.body in button.ancestors:
            await self.pick(button.value)

    async def on_tap_button_tapped(self, event: TapButton.Tapped) -> None:
        event.stop()
        if not self.takes_input(event.origin) or self.flow.finished:
            return
        if self._pressed_at is None:
            self._pressed_at = time.perf_counter()
        await self._press(event.button)

    def _current(self, body: AnswerBody, turn: int) -> bool:
        """Whether a body's message was made on the question on screen now."""
        return body is self._shown and turn == self.flow.turn and not self.flow.finished

    def on_answer_body_changed(self, event: AnswerBody.Changed) -> None:
        event.stop()
        if not self._current(event.body, event.turn):
            return  # typed into a question that is gone: show_step resets it if it returns
        if self.flow.answer(event.value, step=self.flow.current, turn=event.turn):
            self._set_text("#message", "")
            self._update_next_label()

    def on_answer_body_refused(self, event: AnswerBody.Refused) -> None:
        event.stop()
        self.show_message(event.key, **event.values)

    async def on_answer_body_submitted(self, event: AnswerBody.Submitted) -> None:
        event.stop()
        if self._current(event.body, event.turn):
            await self.go_next()

    def on_answer_body_leave_field(self, event: AnswerBody.LeaveField) -> None:
        event.stop()
        if self._current(event.body, event.turn):
            self.query_one("#next", NavButton).focus(scroll_visible=False)
