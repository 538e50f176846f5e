"""Property: whatever a visitor does, in whatever bursts, every saved answer is their own.

Hypothesis drives the real app over every bundled survey with random keys and taps at
random speeds, including none between them (bursts). Each example is one visit; every
record it saves is checked:

- each answer belongs to a question whose answer area was shown, with its show_if held
  (the survey layer's check, :func:`kiosk.survey.answers.record_misfits`, also checks it
  fits its question: type, choice ids, range, length);
- each answer equals what that question's answer area showed as chosen when the visitor
  left it (the widgets are the visitor's view; the record must not differ from it);
- each answered question was the one on screen when at least one of the visit's inputs was
  sent: an answer made only of input sent while another question was on screen (the ``2``
  of ``12``) is input applied to the wrong question, even when its widget shows it.

Each survey runs twice: with a settle time of 0 (so what holds is the design, not a delay
hiding it) and of 0.05 s (inputs landing in the settle time).

One app per survey runs on its own event loop in a thread for the whole test, and each
example is a visit on it: starting an app per example would take minutes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events
from textual._context import active_app, active_message_pump
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from kiosk.app.app import KioskApp
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.app.settings import app_settings
from kiosk.app.widgets.bodies import AnswerBody
from kiosk.app.widgets.tap_button import TapButton
from kiosk.paths import PROJECT_ROOT
from kiosk.store import RecordStore
from kiosk.survey import load_survey
from kiosk.survey.answers import record_misfits

SURVEYS = sorted((PROJECT_ROOT / "surveys").glob("*.yaml"))
KEYS = [*"0123456789", "enter", "enter", "escape", "space", "tab", "backspace", "a", "b"]

#: One thing a visitor does: a key, a tap on the n-th visible button, or a pause.
Action = tuple[str, Any]
actions = st.lists(
    st.one_of(
        st.tuples(st.just("key"), st.sampled_from(KEYS)),
        st.tuples(st.just("key"), st.sampled_from([*"123", "enter"])),
        st.tuples(st.just("tap"), st.integers(min_value=0, max_value=12)),
        st.tuples(st.just("wait"), st.sampled_from([0.0, 0.0, 0.01, 0.03, 0.08])),
    ),
    min_size=1,
    max_size=30,
)


class AppThread:
    """The real app under Pilot on an event loop of its own, for examples to run on."""

    def __init__(self, survey_path: Path, data_dir: Path, settle_seconds: float) -> None:
        self.store = RecordStore(data_dir)
        settings_ = app_settings(
            kiosk_id="kiosk-p", suspect_seconds=0.0, settle_seconds=settle_seconds
        )
        self.app = KioskApp([load_survey(survey_path)], self.store, settings=settings_)
        self.pilot: Pilot[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        assert self._ready.wait(60), "the app did not start"

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with self.app.run_test(size=(80, 24)) as pilot:
            self.pilot, self.loop = pilot, asyncio.get_running_loop()
            await pilot.pause()
            self._ready.set()
            await self._stop.wait()

    def run(self, step: Callable[[KioskApp, Pilot[None]], Awaitable[Any]]) -> Any:
        assert self.loop is not None and self.pilot is not None
        app, pilot = self.app, self.pilot

        async def as_the_app() -> Any:
            # A task made from another thread does not inherit the app's context, which
            # widgets look up (as Pilot's own tasks inherit it).
            active_app.set(app)
            active_message_pump.set(app)
            return await step(app, pilot)

        future = asyncio.run_coroutine_threadsafe(as_the_app(), self.loop)
        return future.result(timeout=120)

    def close(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self.store.close()


#: The settle times each survey runs with: none, and shorter than the longest pause.
SETTLE_SECONDS = (0.0, 0.05)


@pytest.fixture(
    params=[(path, settle) for path in SURVEYS for settle in SETTLE_SECONDS],
    ids=[f"{path.stem}-settle{settle}" for path in SURVEYS for settle in SETTLE_SECONDS],
)
def kiosk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppThread]:
    path, settle = request.param
    running = AppThread(path, tmp_path / "data", settle)
    try:
        yield running
    finally:
        running.close()


async def drain(pilot: Pilot[None], rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()


def post(app: KioskApp, event: events.Event) -> None:
    """As the terminal driver does: into the app's queue, handled in turn."""
    event.set_sender(app)
    app.post_message(event)


def do(app: KioskApp, action: Action, on_screen: set[int] | None = None) -> None:
    """Send one input; ``on_screen`` gathers the step on screen as it is sent (its id)."""
    screen = app.screen
    if on_screen is not None and isinstance(screen, QuestionScreen) and not screen.flow.finished:
        on_screen.add(id(screen.flow.current))
    kind, what = action
    if kind == "key":
        char = what if len(what) == 1 else {"space": " ", "enter": "\r", "tab": "\t"}.get(what)
        post(app, events.Key(what, char))
    elif kind == "tap":
        buttons = [b for b in app.screen.query(TapButton) if b.region.area and b.visible]
        if buttons:
            region = buttons[what % len(buttons)].region
            x, y = region.x + region.width // 2, region.y + region.height // 2
            for cls in (events.MouseDown, events.MouseUp):
                post(app, cls(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y))


#: The widgets a visitor types an answer into.
FIELDS = "Input, TextArea"


@dataclass
class Visit:
    """One visit's question screen, its new records, the steps (ids) on screen as inputs
    were sent, and the typed answers' fields, by body (ids)."""

    screen: QuestionScreen
    records: list[dict[str, Any]]
    on_screen: set[int]
    fields: dict[int, Input | TextArea]

    def shown(self, body: AnswerBody) -> Any:
        """What ``body`` showed as chosen when the visitor left. A field is read from the
        widget kept here: once the visit's screen is gone its bodies have no children."""
        field = self.fields.get(id(body))
        if field is None:
            return body.read_value()
        return body._parse(field.text if isinstance(field, TextArea) else field.value)  # type: ignore[attr-defined]


async def visit(app: KioskApp, pilot: Pilot[None], start: int, steps: list[Action]) -> Visit:
    """One visitor: start, act, then leave (the idle reset saves what was answered)."""
    await drain(pilot)
    assert isinstance(app.screen, WelcomeScreen)
    known = {r["id"] for r in app.store.records()}
    options = app.start_options()
    do(app, ("key", str(start % len(options) + 1)))
    for _ in range(200):
        await pilot.pause()
        if isinstance(app.screen, QuestionScreen):
            break
    screen = app.screen
    assert isinstance(screen, QuestionScreen)
    fields = {id(body): field for body in screen._bodies.values() for field in body.query(FIELDS)}
    on_screen: set[int] = set()
    for action in steps:
        if app.screen is not screen:
            break  # finished or left: the visit is over
        if action[0] == "wait":
            await asyncio.sleep(action[1])  # 0: the app handles what is queued so far
            continue
        do(app, action, on_screen)
    # let every queued input and settle time run out before looking
    await drain(pilot)
    await asyncio.sleep(0.06)
    await drain(pilot)
    if app.screen is screen:
        await app.abandon_visit()
    else:
        await app.back_to_welcome()
    await drain(pilot)
    new = [r for r in app.store.records() if r["id"] not in known]
    return Visit(screen, new, on_screen, fields)


def check(visit: Visit) -> None:
    screen, records, on_screen = visit.screen, visit.records, visit.on_screen
    assert len(records) <= 1
    survey, flow = screen.survey, screen.flow
    for record in records:
        assert record_misfits(survey, record) == {}, record["answers"]
        steps = {s.id: s for s in flow.steps if s.part == "answers"}
        for question_id, value in record["answers"].items():
            body = screen._bodies[id(steps[question_id])]
            assert body.turn >= 0, f"{question_id} was never shown"
            assert visit.shown(body) == value, question_id
            assert id(steps[question_id]) in on_screen, (
                f"{question_id} was answered, but no input was sent while it was on screen"
            )


@pytest.mark.timeout(600)
def test_every_saved_answer_is_the_visitors_own(kiosk: AppThread) -> None:
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(start=st.integers(min_value=0, max_value=3), steps=actions)
    def one_visit(start: int, steps: list[Action]) -> None:
        check(kiosk.run(lambda app, pilot: visit(app, pilot, start, steps)))

    one_visit()
