"""Screens that say what happened: thanks per kind, the code at 80x24, several surveys,
the survey title on its questions, a progress count that never moves the end away, the
idle countdown and the language switch by Enter.

The real app through Pilot on a real store, with the bundled Gentofte survey where it
matters (its follow-up link is what a visitor scans).
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest

from helpers.pilot import keys, running, screen_text, wait_for
from helpers.qr_decode import decode_screen, half_block_count, screen_cells
from helpers.surveys import ALL_TYPES, BUNDLED_SURVEY, SECOND
from kiosk.app.app import KioskApp
from kiosk.app.flow import QuestionStep, VisitFlow, survey_flow
from kiosk.app.idea_flow import idea_flow
from kiosk.app.progress import visit_progress
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.still_there import StillThereScreen
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.app.settings import app_settings
from kiosk.i18n import Translator
from kiosk.refs import followup_url
from kiosk.store import RecordStore
from kiosk.survey import load_survey

pytestmark = pytest.mark.anyio

BUNDLED = BUNDLED_SURVEY.parent


def text_of(app: KioskApp) -> str:
    return "\n".join("".join(char for char, _ in row) for row in screen_cells(app))


async def settle(pilot: Any) -> None:
    """Let mounting and the code-or-URL decision finish (bounded)."""
    previous = None
    for _ in range(20):
        await pilot.pause()
        current = text_of(pilot.app)
        if current == previous:
            return
        previous = current


async def thanks_screen(
    tmp_path: Path, kind: str, lang: str, size: tuple[int, int], url: str | None = None
) -> tuple[str, dict[str, Any], list[str], int]:
    """Finish a visit of ``kind`` on the bundled survey; the screen's text (and the caption
    beside the code, whose lines the code's rows break up), the record, the decoded QR
    codes and how many half blocks are drawn."""
    survey = load_survey(BUNDLED_SURVEY)
    if url is not None:
        survey = survey.model_copy(
            update={"followup": survey.followup.model_copy(update={"url": url})}
        )
    with RecordStore(tmp_path / f"data-{kind}-{lang}") as store:
        settings = app_settings(thanks_timeout=600, lang=lang, suspect_seconds=0)
        app = KioskApp([survey], store, settings=settings)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            flow = idea_flow(survey, app.t) if kind == "idea" else survey_flow(survey, t=app.t)
            await app.push_screen(QuestionScreen(flow, survey))
            await pilot.pause()
            await app.finish_visit(flow, survey)
            await settle(pilot)
            assert isinstance(app.screen, ThanksScreen)
            (record,) = store.records()
            captions = " ".join(str(w.render()) for w in app.screen.query(".followup-caption"))
            text = f"{text_of(app)}\n{captions}"
            return text, record, decode_screen(app), half_block_count(app)


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("kind", ["response", "idea"])
async def test_thanks_fits_the_visit_and_the_code_fits_at_80x24(
    tmp_path: Path, kind: str, lang: str
) -> None:
    text, record, decoded, _blocks = await thanks_screen(tmp_path, kind, lang, (80, 24))
    survey = load_survey(BUNDLED_SURVEY)
    assert decoded == [followup_url(survey.followup.url, record["ref"])]
    t = Translator(lang)
    assert t("idea.ref") in text and record["ref"] in text
    flat = " ".join(text.splitlines()[-1].split())  # the caption
    screen = " ".join(text.split())
    idea_caption = {"da": "Scan for at følge din idé", "en": "Scan to follow your idea"}[lang]
    if kind == "idea":
        assert t("idea.thanks_title") in text
        assert idea_caption in flat
    else:
        assert t("thanks.title") in text
        assert idea_caption not in flat and "idé" not in flat and "idea" not in flat
        assert {"da": "hvad der sker med svarene", "en": "what happens with the answers"}[
            lang
        ] in flat
    thank = {"da": "Tak", "en": "Thank"}[lang]
    assert screen.count(thank) == 1, screen  # thanked once
    assert t("thanks.hint") in text


def test_the_labels_of_the_code_are_danish_first() -> None:
    assert Translator("da")("idea.ref") == "Din referencekode"
    assert Translator("da")("thanks.go_to") == "Gå til"
    assert Translator("en")("thanks.go_to") == "Go to"


@pytest.mark.parametrize("lang", ["da", "en"])
async def test_a_url_that_must_stand_instead_of_the_code_says_go_to(
    tmp_path: Path, lang: str
) -> None:
    long_url = "https://gentofte.dk/borgerkiosk/opgaveudvalg/foelg-din-ide-og-svar?ref={ref}"
    text, record, decoded, blocks = await thanks_screen(
        tmp_path, "response", lang, (80, 24), long_url
    )
    assert decoded == [] and blocks == 0
    go_to = Translator(lang)("thanks.go_to")
    url = followup_url(long_url, record["ref"])
    unwrapped = "".join(line.strip() for line in text.splitlines())
    assert f"{go_to}{url}" in unwrapped or f"{go_to} {url}" in unwrapped


async def test_several_surveys_show_each_title_and_intro(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ALL_TYPES, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(SECOND, encoding="utf-8")
    surveys = [load_survey(tmp_path / "a.yaml"), load_survey(tmp_path / "b.yaml")]
    with RecordStore(tmp_path / "data") as store:
        app = KioskApp(surveys, store, settings=app_settings(suspect_seconds=0))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            text = text_of(app)
            for survey in surveys:
                assert survey.title["da"] in text
                assert survey.intro["da"] in text
            assert "Vælg, hvad du vil svare på" in text
            await keys(pilot, "2")
            assert isinstance(app.screen, QuestionScreen)
            # the survey's title stays on its questions
            assert screen_text(app, "#survey-title") == "Trafik"


async def test_one_survey_keeps_its_title_and_intro_on_top(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        assert screen_text(app, "#title") == "Alle typer"
        assert not app.screen.query(".start-intro")
        await keys(pilot, "1")
        assert screen_text(app, "#survey-title") == "Alle typer"
        await keys(pilot, "enter")
        assert screen_text(app, "#survey-title") == "Alle typer"


# -- progress -----------------------------------------------------------------------------
def random_walk(flow: VisitFlow, rnd: random.Random) -> list[tuple[int, int, bool]]:
    """Go forward (and sometimes back) through a flow with random valid answers, noting
    (number, total, went_back) on each counted step."""
    seen: list[tuple[int, int, bool]] = []
    went_back = False
    for _ in range(200):
        if flow.finished:
            break
        step = flow.current
        number, total = visit_progress(flow)
        if step.counted:
            seen.append((number, total, went_back))
        went_back = False
        shown = flow.visible_steps()
        index = next(i for i, s in enumerate(shown) if s is step)
        # back only between counted steps, so each pair of notes is one move apart
        if step.counted and index and shown[index - 1].counted and rnd.random() < 0.1:
            assert flow.back()
            went_back = True
            continue
        flow.answer(valid_answer(step, rnd))
        if not flow.next():
            flow.answer(valid_answer(step, rnd, must=True))
            assert flow.next()
    assert flow.finished
    return seen


def valid_answer(step: Any, rnd: random.Random, must: bool = False) -> Any:
    if not isinstance(step, QuestionStep):
        return None
    question = step.question
    if not must and not step.required and rnd.random() < 0.2:
        return None
    kind = question.type
    if step.id == "contact:reach":
        return "ane@gentofte.dk"
    if kind == "single_choice":
        return rnd.choice(question.choices).id
    if kind == "multiple_choice":
        return [question.choices[0].id]
    if kind == "scale":
        return rnd.choice(question.points)
    if kind == "yes_no":
        return rnd.random() < 0.6
    if kind == "text":
        return "Ane"
    if kind == "number":
        return question.min if question.min is not None else 5
    return None


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*.yaml")), ids=lambda p: p.stem)
def test_progress_goes_up_by_one_and_the_end_never_moves_away(path: Path) -> None:
    survey = load_survey(path)
    t = Translator("da")
    for seed in range(60):
        rnd = random.Random(seed)
        flows = [survey_flow(survey, t=t)]
        if survey.ideas is not None:
            flows.append(idea_flow(survey, t))
        for flow in flows:
            seen = random_walk(flow, rnd)
            for (n1, t1, _), (n2, t2, back) in itertools.pairwise(seen):
                if back:
                    assert n2 == n1 - 1, (seed, seen)
                    continue
                assert n2 == n1 + 1, (seed, seen)
                assert t2 <= t1, (seed, seen)
            # never past the end; a "no" on the last step may end the visit before it
            assert all(n <= total for n, total, _ in seen), (seed, seen)


async def test_yes_on_the_bundled_survey_keeps_the_total(tmp_path: Path) -> None:
    text = BUNDLED_SURVEY.read_text(encoding="utf-8")
    async with running(tmp_path, survey_text=text, size=(120, 40)) as (app, pilot, _store):
        await keys(pilot, "1", "enter")
        assert screen_text(app, "#progress") == "Spørgsmål 1 af 10"
        await keys(pilot, "1", "enter", "4")
        assert screen_text(app, "#progress") == "Spørgsmål 4 af 10"
        await keys(pilot, "1")  # Ja: the topic and the contact step follow
        assert screen_text(app, "#progress") == "Spørgsmål 5 af 10"
        await keys(pilot, "escape", "2")  # back, and Nej after all
        assert screen_text(app, "#progress") == "Spørgsmål 5 af 6"


# -- idle countdown and the language switch ---------------------------------------------------
async def test_the_idle_prompt_counts_down(tmp_path: Path) -> None:
    async with running(tmp_path, idle_grace=3.0) as (app, pilot, _store):
        await keys(pilot, "1")
        app.idle_timeout = 0.1
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        first = screen_text(app, "#countdown")
        assert first in ("Kiosken starter forfra om 3 sek.", "Kiosken starter forfra om 2 sek.")
        await wait_for(pilot, lambda: "om 1 sek." in screen_text_or(app, "#countdown"))
        app.idle_timeout = 600
        await keys(pilot, "space")
        assert isinstance(app.screen, QuestionScreen)


async def test_a_long_grace_counts_down_in_minutes(tmp_path: Path) -> None:
    async with running(tmp_path, idle_grace=600.0, lang="en") as (app, pilot, _store):
        await keys(pilot, "1")
        app.idle_timeout = 0.1
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        assert screen_text(app, "#countdown") == "The kiosk starts over in 10 min."


def screen_text_or(app: KioskApp, selector: str) -> str:
    """The text of a widget on the current screen, or "" once that screen has gone."""
    found = app.screen.query(selector)
    return str(found.first().render()) if found else ""


@pytest.mark.parametrize("key", ["enter", "space"])
async def test_the_language_button_works_with_enter_and_space(tmp_path: Path, key: str) -> None:
    async with running(tmp_path) as (app, pilot, _store):
        assert isinstance(app.screen, WelcomeScreen)
        app.screen.query_one(".lang").focus()
        await keys(pilot, key)
        assert app.lang == "en"
        assert screen_text(app, "#title") == "All types"
