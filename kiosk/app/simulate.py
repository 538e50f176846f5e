"""Rehearsal: random visitors driving the real app headless through Pilot (``kiosk simulate``).

Nothing here shortcuts the app: keys go in as a visitor's would, records are saved by the
app's own save path, abandoning visitors are reset by its own idle timeout.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual import events
from textual._time import get_time

from kiosk.app.app import KioskApp
from kiosk.app.flow import QuestionStep
from kiosk.app.idea_flow import REACH
from kiosk.app.latency import LatencySummary
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.thanks import TimedScreen
from kiosk.app.screens.welcome import WelcomeScreen

WORDS = ("mere", "grønt", "cykelsti", "bænke", "bibliotek", "tak", "skole", "lys", "ro")
#: Most key presses one visitor makes before the simulation calls it stuck.
MAX_KEYS_PER_VISITOR = 400


@dataclass
class SimulationSummary:
    visitors: int = 0
    saved: int = 0
    ideas: int = 0
    abandoned: int = 0
    went_back: int = 0
    latency: LatencySummary | None = None
    saved_ids: list[str] = field(default_factory=list)

    def text(self) -> str:
        lat = self.latency or LatencySummary(0, 0.0, 0.0, 0.0)
        return (
            f"visitors {self.visitors}, saved {self.saved} (ideas {self.ideas}), "
            f"abandoned {self.abandoned}, "
            f"went back {self.went_back}\n"
            f"key to next question drawn: p50 {lat.p50_ms:.1f} ms, p99 {lat.p99_ms:.1f} ms "
            f"(max {lat.max_ms:.1f} ms, {lat.count} samples)"
        )


class Simulation:
    """Random but valid visitors, some going back, some walking away half way.

    Where a survey has idea cards, a share of the visitors (``ideas``) writes one instead.
    """

    def __init__(
        self,
        app: KioskApp,
        *,
        seed: int | None = None,
        abandon: float = 0.1,
        back: float = 0.1,
        ideas: float = 0.2,
        pace: float = 0.0,
    ) -> None:
        self.app = app
        self.random = random.Random(seed)
        self.abandon = abandon
        self.back = back
        self.ideas = ideas
        #: Seconds between keys: 0 rehearses as fast as the app goes; a benchmark of
        #: key-to-screen latency lets each screen settle, as a visitor's finger would.
        self.pace = pace
        self.summary = SimulationSummary()
        app.saver.add_listener(self._saved)

    def _saved(self, record: dict[str, Any]) -> None:
        self.summary.saved += 1
        if record["kind"] == "idea":
            self.summary.ideas += 1

    async def run(
        self,
        visitors: int,
        size: tuple[int, int] = (80, 24),
        after_visitor: Callable[[int], None] | None = None,
    ) -> SimulationSummary:
        """Run ``visitors`` visitors; ``after_visitor(n)`` is called after the n-th."""
        async with self.app.run_test(headless=True, size=size) as pilot:
            await pilot.pause()
            for _ in range(visitors):
                await self.visitor(pilot)
                self.summary.visitors += 1
                if after_visitor is not None:
                    after_visitor(self.summary.visitors)
        self.summary.latency = self.app.latency.summary()
        return self.summary

    async def visitor(self, pilot: Any) -> None:
        app = self.app
        await self._until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        await self.press(pilot, self.start_key())
        walk_away = self.random.random() < self.abandon
        for _ in range(MAX_KEYS_PER_VISITOR):
            screen = app.screen
            if isinstance(screen, TimedScreen):
                await self.press(pilot, "space")
                return
            if isinstance(screen, WelcomeScreen):
                return
            if not isinstance(screen, QuestionScreen):
                await pilot.pause(0.02)
                continue
            for _ in range(500):  # a picked answer shows as chosen for the settle time
                if screen.takes_input(get_time()) or app.screen is not screen:
                    break
                await pilot.pause(0.01)
            if app.screen is not screen:
                continue
            flow = screen.flow
            if walk_away and flow.answered_any() and self.random.random() < 0.3:
                await self._walk_away(pilot)
                return
            if not flow.is_first() and self.random.random() < self.back:
                self.summary.went_back += 1
                await self.press(pilot, "escape")
            else:
                await self.press(pilot, *self.keys_for(flow.current))
        raise RuntimeError("a simulated visitor got stuck: the app did not reach thanks")

    def start_key(self) -> str:
        """The digit of the first survey, or of an idea card for a share of the visitors."""
        options = self.app.start_options()
        cards = [n for n, option in enumerate(options, start=1) if option.kind == "idea"]
        if cards and self.random.random() < self.ideas:
            return str(self.random.choice(cards))
        return "1"

    async def press(self, pilot: Any, *keys: str) -> None:
        """Keys into the app as its terminal driver sends them, then wait until handled.

        Pilot.press waits for the process to look idle by the clock (~85 ms a key on a busy
        machine); waiting for the screen's message queues instead makes a rehearsal of
        thousands of visitors take minutes, not hours, through the same event path.
        """
        app = self.app
        for key in keys:
            char = key if len(key) == 1 else (" " if key == "space" else None)
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
            for _ in range(3):  # a key may start a chain: body -> screen -> app -> screen
                await pilot._wait_for_screen()
                await asyncio.sleep(0)
            if self.pace:
                await asyncio.sleep(self.pace)

    async def _walk_away(self, pilot: Any) -> None:
        """Leave without a word: the app's own idle prompt and reset take over (made short)."""
        app = self.app
        self.summary.abandoned += 1
        saved_timeouts = app.idle_timeout, app.idle_grace
        app.idle_timeout, app.idle_grace = 0.05, 0.05
        try:
            await self._until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        finally:
            app.idle_timeout, app.idle_grace = saved_timeouts

    def keys_for(self, step: Any) -> list[str]:
        """Keys of a valid answer to this step (an optional one is sometimes skipped)."""
        if not isinstance(step, QuestionStep):
            return ["enter"]
        question, rnd = step.question, self.random
        if step.widget == "area":  # Enter is a new line there: Tab to Next, then Enter
            words = self.words(rnd.randint(0, 12), question.max_length)
            return [*words, "tab", "enter"]
        if step.id == REACH:
            name = rnd.choice(WORDS).encode("ascii", "ignore").decode() or "borger"
            return [*f"{name}{rnd.randint(1, 99)}@example.dk", "enter"]
        if not question.required and rnd.random() < 0.15:
            return ["enter"]
        kind = question.type
        if kind in ("single_choice", "scale", "yes_no"):
            count = {"single_choice": lambda: len(question.choices), "yes_no": lambda: 2}.get(
                kind, lambda: len(question.points)
            )()
            return [str(rnd.randint(1, min(count, 9)))]
        if kind == "multiple_choice":
            count = min(len(question.choices), 9)
            limit = min(question.max_choices or count, count)
            picks = rnd.sample(range(1, count + 1), rnd.randint(1, limit))
            return [*(str(p) for p in picks), "enter"]
        if kind == "text":
            return [*self.words(rnd.randint(1, 4), question.max_length), "enter"]
        if kind == "number":
            low = question.min if question.min is not None else 0
            high = question.max if question.max is not None else low + 100
            return [*str(rnd.randint(max(low, 0), max(high, 0))), "enter"]
        return ["enter"]

    def words(self, count: int, max_length: int) -> list[str]:
        """Keys that type ``count`` random Danish words (at most ``max_length`` characters)."""
        text = " ".join(self.random.choice(WORDS) for _ in range(count))[:max_length]
        return [c if c != " " else "space" for c in text]

    async def _until(self, pilot: Any, condition: Any, timeout: float = 10.0) -> None:
        """Wait (bounded) for the app to reach a state."""
        waited = 0.0
        while not condition():
            if waited > timeout:
                raise RuntimeError("the app did not return to the welcome screen in time")
            await pilot.pause(0.02)
            waited += 0.02
