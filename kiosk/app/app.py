"""The visitor's kiosk: a locked-down Textual app over the surveys and the local store."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from kiosk.app.flow import QuestionStep, Step, VisitFlow, survey_flow
from kiosk.app.latency import LatencyMeter
from kiosk.app.pin_gate import PinGate
from kiosk.app.saving import RecordSaver
from kiosk.app.screens.welcome import StartOption, WelcomeScreen
from kiosk.app.settings import app_settings
from kiosk.app.survey_preview import SurveyPreview
from kiosk.app.sync_bridge import SyncBridge
from kiosk.app.themes import load_palette
from kiosk.app.watchers import drop_closed_watchers
from kiosk.config import KioskConfig, PinCheck, SyncConfig
from kiosk.i18n import Translator, available_languages
from kiosk.paths import ASSETS_DIR
from kiosk.records import AnswerValue

if TYPE_CHECKING:
    from pathlib import Path

    from textual.driver import Driver

    from kiosk.app.screens.question import QuestionScreen
    from kiosk.app.screens.thanks import TimedScreen
    from kiosk.app.widgets.bodies import AnswerBody
    from kiosk.store import RecordStore
    from kiosk.survey.model import Survey

# Screens other than welcome are imported where first used: the first frame waits for
# nothing it does not draw (see benchmarks/bench_app.py, cold start).

#: Keys a visitor might try to leave with; all do nothing (only the organiser screen quits).
LOCKED_KEYS = ("ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash", "ctrl+p", "ctrl+d", "f1")
#: Five taps this close together on the top-left corner open the PIN prompt.
CORNER_TAPS, CORNER_SECONDS, CORNER_SIZE = 5, 3.0, (6, 2)
#: The app's return value when the organiser quits: ``kiosk run`` starts it again after any
#: other ending (see kiosk/app/supervise.py).
ORGANISER_QUIT = "organiser-quit"
#: TEST ONLY (tests/e2e/test_e2e_supervise.py): after this many saved records the app raises an
#: exception, so the test sees ``kiosk run`` start it again. Whoever can set the kiosk's
#: environment controls the kiosk anyway; unset, nothing of it runs.
TEST_CRASH_ENV = "BORGERKIOSK_TEST_CRASH_AFTER"


@dataclass(frozen=True)
class WarmParts:
    """What the app opens right after its first frame: pydantic and TinyDB load meanwhile."""

    store: RecordStore
    saver: RecordSaver
    sync: SyncBridge
    #: The survey hash of each loaded survey, in the order of ``KioskApp.surveys``.
    hashes: list[str]


class KioskApp(App[str]):
    """Welcome -> questions -> saved -> thanks -> welcome, for visitor after visitor."""

    CSS_PATH: ClassVar[list[str]] = [str(ASSETS_DIR / "styles" / "kiosk.tcss")]
    ENABLE_COMMAND_PALETTE: ClassVar[bool] = False
    TITLE = "Borgerkiosk"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "organiser", show=False, priority=True),
        *(Binding(key, "locked", show=False, priority=True, system=True) for key in LOCKED_KEYS),
    ]

    def __init__(
        self,
        surveys: Sequence[Any],
        store: RecordStore | Callable[[], RecordStore],
        *,
        settings: KioskConfig | None = None,
        pin: PinCheck | None = None,
        sync: SyncConfig | None = None,
        on_saved: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.settings = settings or app_settings()
        if self.settings.kiosk_id is None:
            raise ValueError("the app's settings need a kiosk id (build_app settles it)")
        #: Surveys, or SurveyPreviews (title, intro, languages) until :meth:`warm_up`.
        self.surveys = list(surveys)
        self.default_lang = self._pick_language(self.settings.lang)
        self.lang = self.default_lang
        self.t = Translator(self.lang, touch=self.settings.touch)
        self.palette = load_palette(self.settings.theme)
        super().__init__()
        self._store_source = store
        self._sync_config = sync or SyncConfig()
        self._on_saved = on_saved
        self._warm: WarmParts | None = None
        self.pin_gate = PinGate(pin or PinCheck())
        self.latency = LatencyMeter()
        #: How long each picked answer showed as chosen before the next question (apart
        #: from :attr:`latency`, which leaves the settle time out).
        self.settle_meter = LatencyMeter(window=1000)
        self._quit_allowed = False
        self._last_input = time.monotonic()
        self._corner_taps: list[float] = []
        self._idle_prompt_open = False
        #: Seconds without input before the idle prompt; a rehearsal may shorten it.
        self.idle_timeout = self.settings.idle_timeout
        self.idle_grace = self.settings.idle_grace

    # -- set-up ---------------------------------------------------------------------------
    def followup_base(self) -> str | None:
        """The collector's public address for follow-up links of surveys without a url."""
        return self._sync_config.followup_base()

    def _pick_language(self, wanted: str | None) -> str:
        languages = self.languages()
        if wanted in languages:
            return wanted  # type: ignore[return-value]
        return languages[0]

    def languages(self) -> list[str]:
        """The first survey's languages that the kiosk also has translations for."""
        have = set(available_languages())
        langs = [lang for lang in self.surveys[0].languages if lang in have]
        return langs or ["da"]

    def get_driver_class(self) -> type[Driver]:
        """Textual's own driver, except on Linux: there one that a byte that is not UTF-8
        cannot stop (kiosk/app/driver.py, until Textualize/textual#6456 is fixed)."""
        driver_class = super().get_driver_class()
        from textual import constants
        from textual.drivers.linux_driver import LinuxDriver

        if driver_class is LinuxDriver and constants.DRIVER is None:  # $TEXTUAL_DRIVER wins
            from kiosk.app.driver import LenientLinuxDriver

            return LenientLinuxDriver
        return driver_class

    def get_css_variables(self) -> dict[str, str]:
        return {**super().get_css_variables(), **self.palette}

    def get_default_screen(self) -> Screen[Any]:
        return WelcomeScreen()

    def on_mount(self) -> None:
        self.set_interval(self._idle_interval(), self._check_idle)
        self.call_after_refresh(self._after_first_screen)

    # -- what the first screen does not wait for --------------------------------------------
    def _after_first_screen(self) -> None:
        """Once the welcome screen is up: full surveys, the store, then background sync."""
        try:
            self.warm_up()
        except Exception as exc:  # the survey file broke or the store failed since the check
            # Survey and store errors name files and fields, never a visitor's answer.
            logging.getLogger("kiosk.run").error("the app could not start: %s", exc)
            self.exit(return_code=1, message=f"Error: {exc}")
            return
        self.sync.start()

    def warm_up(self) -> None:
        """Load full surveys and open the store (pydantic, TinyDB), if not done yet."""
        if self._warm is not None:
            return
        import kiosk.app.screens.question  # noqa: F401  (ready before the first Start)
        from kiosk.survey import survey_hash

        self.surveys = [s.load() if isinstance(s, SurveyPreview) else s for s in self.surveys]
        source = self._store_source
        store = source() if callable(source) else source  # a factory: open the store now
        saver = RecordSaver(
            store,
            kiosk_id=self.settings.kiosk_id,
            suspect_seconds=self.settings.suspect_seconds,
            on_saved=self._on_saved,
        )
        sync = SyncBridge(self._sync_config, store, kiosk_id=self.settings.kiosk_id)
        saver.add_listener(lambda _record: sync.nudge())
        crash_after = os.environ.get(TEST_CRASH_ENV, "")
        if crash_after.isdigit():
            saver.add_listener(self._test_crash_counter(int(crash_after)))
        hashes = [survey_hash(s) for s in self.surveys]
        self._warm = WarmParts(store, saver, sync, hashes)
        self._keep_definitions(store.data_dir, hashes)

    def _keep_definitions(self, data_dir: Path, hashes: list[str]) -> None:
        """Keep each survey this kiosk runs in its data directory (for reports later)."""
        from kiosk.survey.archive import keep_definition

        for survey, digest in zip(self.surveys, hashes, strict=True):
            try:
                keep_definition(data_dir, survey, digest)  # type: ignore[arg-type]
            except OSError as exc:  # the records matter more: say so and run on
                logging.getLogger("kiosk.run").warning(
                    "cannot keep the survey definition %s: %s", digest[:12], exc.strerror
                )

    def _test_crash_counter(self, limit: int) -> Callable[[dict[str, Any]], None]:
        """TEST ONLY (:data:`TEST_CRASH_ENV`): a listener that makes the app raise once
        ``limit`` records were saved, in a handler of its own, as a real bug would."""
        saved = 0

        def count(_record: dict[str, Any]) -> None:
            nonlocal saved
            saved += 1
            if saved >= limit:
                self.call_later(self._test_crash)

        return count

    def _test_crash(self) -> None:
        raise RuntimeError(f"test crash: {TEST_CRASH_ENV} is set")

    @property
    def warm(self) -> WarmParts:
        """The store, saver, sync and survey hashes, made on first use (see :meth:`warm_up`)."""
        self.warm_up()
        assert self._warm is not None
        return self._warm

    @property
    def store(self) -> RecordStore:
        return self.warm.store

    @property
    def saver(self) -> RecordSaver:
        return self.warm.saver

    @property
    def sync(self) -> SyncBridge:
        return self.warm.sync

    @property
    def hashes(self) -> list[str]:
        return self.warm.hashes

    def close_store(self) -> None:
        """Close the store if it was opened (``kiosk run`` calls this after the app ends)."""
        if self._warm is not None:
            self._warm.store.close()

    def _idle_interval(self) -> float:
        return max(0.05, min(0.25, self.idle_timeout / 4))

    @property
    def demo(self) -> bool:
        return self.pin_gate.demo

    def start_options(self) -> list[StartOption]:
        """The welcome screen's start buttons: each survey, then each survey's idea card."""
        from kiosk.app.survey_preview import has_ideas
        from kiosk.i18n import localize

        options = [
            StartOption("response", index, localize(survey.title, self.lang))
            for index, survey in enumerate(self.surveys)
        ]
        with_ideas = [i for i, survey in enumerate(self.surveys) if has_ideas(survey)]
        for index in with_ideas:
            label = self.t("welcome.ideas")
            if len(with_ideas) > 1:
                label = f"{label}: {localize(self.surveys[index].title, self.lang)}"
            options.append(StartOption("idea", index, label))
        return options

    def body_for_step(self, step: Step, value: AnswerValue | None) -> AnswerBody:
        """The answer widget of a step: its question's type, or the widget the step names."""
        if isinstance(step, QuestionStep):
            from kiosk.app.widgets.bodies import body_for

            return body_for(
                step.question, value, self.t, self.lang, step.widget, touch=self.settings.touch
            )
        raise TypeError(f"no widget for step {type(step).__name__}")

    def new_ref(self, survey: Survey) -> str:
        """A reference code unique in the store, with the survey's prefix."""
        from kiosk.refs import default_prefix, new_ref

        return new_ref(default_prefix(survey.id, survey.ref_prefix), self.store.has_ref)

    # -- the visit ------------------------------------------------------------------------
    def set_language(self, lang: str) -> None:
        self.lang = lang
        self.t = Translator(lang, touch=self.settings.touch)

    async def on_welcome_screen_language_chosen(
        self, message: WelcomeScreen.LanguageChosen
    ) -> None:
        self.set_language(message.lang)
        await self.screen.recompose()
        self.screen.query(".start").first().focus(scroll_visible=False)

    async def on_welcome_screen_start_chosen(self, message: WelcomeScreen.StartChosen) -> None:
        option = message.option
        self.warm_up()  # normally done already, right after the first screen
        survey = self.surveys[option.survey_index]
        flow = self.new_flow(option)
        self._last_input = time.monotonic()
        from kiosk.app.screens.question import QuestionScreen

        await self.push_screen(QuestionScreen(flow, survey))

    def new_flow(self, option: StartOption) -> VisitFlow:
        """A fresh flow for a start option: a survey's questions, or its idea card."""
        survey = self.surveys[option.survey_index]
        if option.kind == "idea":
            from kiosk.app.idea_flow import idea_flow

            return idea_flow(survey, self.t)
        return survey_flow(survey, t=self.t)

    async def on_question_screen_finished(self, message: QuestionScreen.Finished) -> None:
        visit = self._visit_screen()
        survey = visit.survey if visit is not None else self.surveys[0]
        await self.finish_visit(message.flow, survey)

    async def finish_visit(self, flow: VisitFlow, survey: Survey, **extra: Any) -> None:
        """Save durably first; thank only what was saved, apologise calmly otherwise."""
        index = self.surveys.index(survey)
        if survey.followup is not None or flow.kind == "idea":
            extra.setdefault("ref", self.new_ref(survey))
        record = self.saver.build(
            flow, survey, self.hashes[index], self.lang, completed=True, **extra
        )
        outcome = self.saver.save(record, contact=flow.contact())
        timeout = self.settings.thanks_timeout
        from kiosk.app.screens.thanks import ApologyScreen, ThanksScreen

        if outcome.ok:
            await self.switch_screen(ThanksScreen(survey, record, timeout))
        else:
            await self.switch_screen(ApologyScreen(timeout))

    async def on_question_screen_left(self, message: QuestionScreen.Left) -> None:
        await self.back_to_welcome()

    async def on_timed_screen_done(self, message: TimedScreen.Done) -> None:
        await self.back_to_welcome()

    async def back_to_welcome(self) -> None:
        """Forget the visitor: every screen above welcome goes, language back to default."""
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        self._idle_prompt_open = False
        # The visit's widgets are gone; those that watched the app would stay alive with it.
        drop_closed_watchers(self)
        if not self.screen_stack or not self.is_running:
            return  # the app is closing (the organiser quit meanwhile)
        if self.lang != self.default_lang:
            self.set_language(self.default_lang)
            await self.screen.recompose()
        buttons = self.screen.query(".start")
        if buttons:
            buttons.first().focus(scroll_visible=False)

    # -- idle -----------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._last_input = time.monotonic()
        if (
            isinstance(event, events.Key | events.MouseDown | events.MouseUp)
            and not event.is_forwarded
            and not self._screen_takes(event)
        ):
            return  # it arrived before the question on screen was shown: not meant for it
        await super().on_event(event)

    def _screen_takes(self, event: events.Event) -> bool:
        """Whether the screen on top takes input that arrived when ``event`` did (a visit
        drops what came before its current question was shown)."""
        takes = getattr(self.screen, "takes_input", None)
        return takes is None or bool(takes(event.time))

    def pointer_down(self, event: events.MouseDown) -> None:
        """Every screen reports taps here: they count as activity, and as corner taps."""
        self._last_input = time.monotonic()
        self._count_corner_tap(event)

    def _visit_screen(self) -> QuestionScreen | None:
        from kiosk.app.screens.question import QuestionScreen

        for screen in self.screen_stack:
            if isinstance(screen, QuestionScreen):
                return screen
        return None

    def _check_idle(self) -> None:
        """The kiosk's one idle clock: the screen on top hears how long input has been
        quiet (prompts close, the welcome language goes back); a visit asks, then resets."""
        from kiosk.app.screens.base import KioskPart

        screen = self.screen
        if isinstance(screen, KioskPart):
            screen.idle_for(time.monotonic() - self._last_input)
        visit = self._visit_screen()
        if visit is None or self._idle_prompt_open or self.screen is not visit:
            return
        if time.monotonic() - self._last_input < self.idle_timeout:
            return
        self._idle_prompt_open = True
        from kiosk.app.screens.still_there import StillThereScreen

        self.push_screen(StillThereScreen(self.idle_grace), self._after_idle_prompt)

    async def _after_idle_prompt(self, still_there: bool | None) -> None:
        self._idle_prompt_open = False
        self._last_input = time.monotonic()
        if still_there:
            return
        await self.abandon_visit()

    async def abandon_visit(self) -> None:
        """Save what was answered as a partial record (if anything), then reset.

        Contact details are never kept from an abandoned idea card: the visitor did not
        finish giving them.
        """
        visit = self._visit_screen()
        if visit is not None and visit.flow.worth_saving():
            index = self.surveys.index(visit.survey)
            record = self.saver.build(
                visit.flow, visit.survey, self.hashes[index], self.lang, completed=False
            )
            self.saver.save(record)
        await self.back_to_welcome()

    # -- organiser and lock-down ----------------------------------------------------------
    def _count_corner_tap(self, event: events.MouseDown) -> None:
        width, height = CORNER_SIZE
        if event.screen_x >= width or event.screen_y >= height:
            return
        now = time.monotonic()
        self._corner_taps = [t for t in self._corner_taps if now - t < CORNER_SECONDS] + [now]
        if len(self._corner_taps) >= CORNER_TAPS:
            self._corner_taps.clear()
            self.call_later(self.action_organiser)

    def action_organiser(self) -> None:
        from kiosk.app.screens.organiser import OrganiserScreen
        from kiosk.app.screens.pin import PinScreen

        if isinstance(self.screen, OrganiserScreen | PinScreen):
            return
        if self.demo:
            self.push_screen(OrganiserScreen())
            return

        def opened(ok: bool | None) -> None:
            if ok:
                self.push_screen(OrganiserScreen())

        self.push_screen(PinScreen(), opened)

    def action_locked(self) -> None:
        """What ctrl+c, ctrl+q, ctrl+z, ctrl+\\ and ctrl+p do on the kiosk: nothing."""

    async def action_quit(self) -> None:
        if self._quit_allowed:
            self.exit(ORGANISER_QUIT)

    def action_command_palette(self) -> None:
        """Disabled: its Quit command would let a visitor out."""

    def action_suspend_process(self) -> None:
        """Disabled: a visitor must not reach the shell."""

    def action_help_quit(self) -> None:
        """Disabled: no hint about how to quit."""

    def quit_kiosk(self) -> None:
        """The organiser's Quit: the only way out."""
        self._quit_allowed = True
        if self._warm is not None:
            self.sync.stop()
        self.exit(ORGANISER_QUIT)

    def on_unmount(self) -> None:
        if self._warm is not None:
            self.sync.stop()
