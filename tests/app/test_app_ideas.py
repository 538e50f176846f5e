"""Idea cards: theme, title, description, about-you questions, consent and contact.

The rules of the card as pure Python (:mod:`kiosk.app.idea_flow`), then the real app on a
real store through Pilot, by keys and by taps, down to what is stored and exported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Input, Static, TextArea

from helpers.pilot import (
    click,
    keys,
    question_screen,
    running,
    screen_text,
    step_id,
    stored,
    type_text,
    wait_for,
    walk_away,
)
from helpers.surveys import IDEAS
from kiosk.app.flow import QuestionStep
from kiosk.app.idea_flow import (
    CONSENT,
    DESCRIPTION,
    NAME,
    REACH,
    THEME,
    TITLE,
    idea_flow,
    parse_reach,
)
from kiosk.app.screens.question import QuestionScreen
from kiosk.app.screens.still_there import StillThereScreen
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.app.screens.welcome import WelcomeScreen
from kiosk.app.widgets.onscreen_keyboard import Key
from kiosk.app.widgets.tap_button import NavButton, TapButton
from kiosk.cli import cli
from kiosk.collector.schema import RecordModel
from kiosk.i18n import Translator
from kiosk.records import public_view
from kiosk.refs import REF_ALPHABET, followup_url
from kiosk.survey import load_survey

pytestmark = pytest.mark.anyio


#: Without contact, about-you questions and follow-up: the reference is shown alone.
NO_CONTACT = IDEAS.split("  allow_contact")[0]

REF = re.compile(rf"^ID-[{REF_ALPHABET}]{{4,}}$")


def flow_for(tmp_path: Path, text: str = IDEAS, lang: str = "da"):  # type: ignore[no-untyped-def]
    path = tmp_path / "ideas.yaml"
    path.write_text(text, encoding="utf-8")
    return idea_flow(load_survey(path), Translator(lang))


# -- the card's rules, without a screen ---------------------------------------------------
def test_steps_in_order_and_contact_only_after_yes(tmp_path: Path) -> None:
    flow = flow_for(tmp_path)
    assert [s.id for s in flow.steps] == [THEME, TITLE, DESCRIPTION, "alder", CONSENT, NAME, REACH]
    shown = [s.id for s in flow.visible_steps()]
    assert NAME not in shown and REACH not in shown
    flow.answers[CONSENT] = True
    assert [s.id for s in flow.visible_steps()][-2:] == [NAME, REACH]


def test_card_values_go_to_idea_and_contact_not_answers(tmp_path: Path) -> None:
    flow = flow_for(tmp_path)
    flow.answers.update(
        {
            THEME: "trafik",
            TITLE: "Cykelsti",
            DESCRIPTION: "Langs stranden",
            "alder": "ung",
            CONSENT: True,
            NAME: "Ane",
            REACH: " +45 12 34-56 78 ",
        }
    )
    assert flow.answers_to_save() == {"alder": "ung"}
    assert flow.record_fields() == {
        "idea": {"theme": "trafik", "title": "Cykelsti", "description": "Langs stranden"}
    }
    assert flow.contact() == {"name": "Ane", "phone": "+4512345678"}
    # saying no afterwards (Back, change the answer) drops what was typed
    flow.answers[CONSENT] = False
    assert flow.contact() is None


def test_reach_must_look_like_an_email_or_a_phone_number(tmp_path: Path) -> None:
    assert parse_reach("ane@gentofte.dk") == ("email", "ane@gentofte.dk")
    assert parse_reach("12 34 56 78") == ("phone", "12345678")
    for wrong in ("ane", "ane@", "ane@dk", "@gentofte.dk", "a b@x.dk", "1234", "12ab5678"):
        assert parse_reach(wrong) is None, wrong
    flow = flow_for(tmp_path)
    reach = next(s for s in flow.steps if s.id == REACH)
    assert reach.check("ane@") == ("idea.reach_invalid", {})
    assert reach.check("ane@gentofte.dk") is None
    assert reach.check(None) == ("question.required", {})


def test_an_abandoned_card_is_kept_only_with_theme_and_title(tmp_path: Path) -> None:
    flow = flow_for(tmp_path)
    flow.answers[THEME] = "groent"
    assert not flow.worth_saving()
    flow.answers[TITLE] = "Træer"
    assert flow.worth_saving()


def test_card_texts_follow_the_visitor_language(tmp_path: Path) -> None:
    flow = flow_for(tmp_path, lang="en")
    title = next(s for s in flow.steps if s.id == TITLE)
    assert isinstance(title, QuestionStep)
    assert title.question.text == "Give your idea a short title"
    assert title.question.max_length == 80


async def test_whole_card_by_keyboard_with_contact(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS) as (app, pilot, _store):
        welcome = [str(b.render()) for b in app.screen.query(".start")]
        assert welcome == ["1  Idéer til byen", "2  Del en idé"]
        await keys(pilot, "2")
        assert step_id(app) == THEME
        assert screen_text(app, "#progress") == "Idé: trin 1 af 7"
        await keys(pilot, "2")  # trafik, and on
        await type_text(pilot, "Cykelsti ved søen")
        await keys(pilot, "enter")
        assert step_id(app) == DESCRIPTION
        await type_text(pilot, "Trygt for børn")
        await keys(pilot, "enter")  # a new line, not the next step
        await type_text(pilot, "og ældre")
        assert step_id(app) == DESCRIPTION
        await keys(pilot, "tab")
        assert isinstance(app.screen.focused, NavButton) and app.screen.focused.id == "next"
        await keys(pilot, "enter", "1")  # on, then alder = ung
        assert step_id(app) == CONSENT
        assert "i et år" in screen_text(app, "#question-help")
        await keys(pilot, "1")  # Ja, kontakt mig
        await type_text(pilot, "Ane")
        await keys(pilot, "enter")
        await type_text(pilot, "ane@")
        await keys(pilot, "enter")
        assert step_id(app) == REACH
        assert "ligner ikke en e-mail" in screen_text(app, "#message")
        await type_text(pilot, "gentofte.dk")
        await keys(pilot, "enter")
        assert isinstance(app.screen, ThanksScreen)
        assert screen_text(app, "#thanks-title") == "Din idé er gemt"

    (record,), contacts = stored(tmp_path)
    RecordModel.model_validate(public_view(record))
    assert record["kind"] == "idea" and record["completed"] is True
    assert record["idea"] == {
        "theme": "trafik",
        "title": "Cykelsti ved søen",
        "description": "Trygt for børn\nog ældre",
    }
    assert record["answers"] == {"alder": "ung"}
    assert REF.match(record["ref"])
    assert "Ane" not in json.dumps(record)
    assert contacts == {
        record["id"]: {"name": "Ane", "email": "ane@gentofte.dk", "record_id": record["id"]}
    }
    # exports leave the contact out unless asked for it
    data = str(tmp_path / "data")
    for fmt in ("jsonl", "csv"):
        plain = CliRunner().invoke(cli, ["export", "--data", data, "--format", fmt])
        assert plain.exit_code == 0 and "Cykelsti ved søen" in plain.stdout
        assert "Ane" not in plain.stdout and "gentofte.dk" not in plain.stdout
        full = CliRunner().invoke(
            cli, ["export", "--data", data, "--format", fmt, "--include-contact"]
        )
        assert "ane@gentofte.dk" in full.stdout


async def test_card_by_taps_and_no_thanks_stores_no_contact(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS, size=(100, 30)) as (app, pilot, _store):
        starts = list(app.screen.query(".start"))
        await click(pilot, starts[1])  # the idea card, after the survey
        await pilot.pause()
        assert step_id(app) == THEME
        options = list(question_screen(app).body.query(TapButton))
        await click(pilot, options[2])  # Kultur
        await pilot.pause()
        await type_text(pilot, "Koncert i parken")
        await click(pilot, "#next")
        await pilot.pause()
        assert step_id(app) == DESCRIPTION
        assert str(app.screen.query_one("#next", NavButton).render()) == "Spring over"
        await click(pilot, "#next")  # the description is optional
        await pilot.pause()
        await click(pilot, "#next")  # so are the about-you questions
        await pilot.pause()
        assert step_id(app) == CONSENT
        buttons = list(question_screen(app).body.query(TapButton))
        assert [str(b.render()) for b in buttons] == [
            "1  Ja, kontakt mig",
            "2  Nej tak",
        ]
        await click(pilot, buttons[-1])
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))

    (record,), contacts = stored(tmp_path)
    assert record["idea"] == {"theme": "kultur", "title": "Koncert i parken", "description": ""}
    assert record["answers"] == {}
    assert contacts == {}


async def test_yes_then_back_and_no_keeps_nothing_typed(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS) as (app, pilot, _store):
        await keys(pilot, "2", "1")
        await type_text(pilot, "Træer")
        await keys(pilot, "enter", "tab", "enter", "enter")
        assert step_id(app) == CONSENT
        await keys(pilot, "1")
        await type_text(pilot, "Bo Jensen")
        await keys(pilot, "enter", "escape", "escape")
        assert step_id(app) == CONSENT
        await keys(pilot, "2")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
    records, contacts = stored(tmp_path)
    assert len(records) == 1
    assert contacts == {}


async def test_the_description_keeps_its_limit_and_counts(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS) as (app, pilot, _store):
        await keys(pilot, "2", "1")
        await type_text(pilot, "Lang")
        await keys(pilot, "enter")
        area = question_screen(app).body.query_one(TextArea)
        area.insert("æøå 🌳 " * 200)  # pasted: 1,400 characters
        await pilot.pause()
        assert len(area.text) == 1000
        counter = question_screen(app).body.query_one("#char-count", Static)
        assert str(counter.render()) == "1000 / 1000 tegn"
        await keys(pilot, "x")
        assert len(area.text) == 1000
        area.insert("\x1b[2J")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        assert "\x1b" not in str(screen.flow.value())


async def test_escape_sequences_in_a_title_are_not_stored(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS) as (app, pilot, _store):
        await keys(pilot, "2", "1")
        field = question_screen(app).body.query_one(Input)
        field.value = "Hej\x1b]0;hacked\x07 🌳 æøå\x00"
        await pilot.pause()
        await keys(pilot, "enter", "tab", "enter", "enter", "2")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
    (record,), _ = stored(tmp_path)
    assert record["idea"]["title"] == "Hej 🌳 æøå"


async def test_abandoned_card_keeps_the_idea_but_never_the_contact(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS) as (app, pilot, _store):
        await keys(pilot, "2", "3")
        await type_text(pilot, "Bibliotek")
        await keys(pilot, "enter", "tab", "enter", "enter", "1")
        await type_text(pilot, "Ane")
        await keys(pilot, "enter")
        assert step_id(app) == REACH
        walk_away(app)
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
    (record,), contacts = stored(tmp_path)
    assert record["completed"] is False and record["kind"] == "idea"
    assert record["idea"]["title"] == "Bibliotek"
    assert contacts == {}


async def test_abandoned_card_without_a_title_leaves_nothing(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS) as (app, pilot, _store):
        await keys(pilot, "2", "3")
        assert step_id(app) == TITLE
        walk_away(app)
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), seconds=5)
    assert stored(tmp_path) == ([], {})


async def test_without_followup_the_reference_is_shown_alone(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=NO_CONTACT) as (app, pilot, store):
        await keys(pilot, "2", "1")
        await type_text(pilot, "Bænke")
        await keys(pilot, "enter", "tab", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        (record,) = store.records()
        assert screen_text(app, "#ref-only") == f"Din referencekode: {record['ref']}"


async def test_touch_keyboard_types_a_description_and_moves_on(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=IDEAS, size=(80, 24), touch=True) as (
        app,
        pilot,
        _store,
    ):
        await keys(pilot, "2", "1")
        await type_text(pilot, "Idé")
        await keys(pilot, "enter")
        assert step_id(app) == DESCRIPTION

        async def tap(value: str) -> None:
            key = next(k for k in question_screen(app).body.query(Key) if k.value == value)
            await click(pilot, key)
            await pilot.pause()

        for value in ("ø", "newline", "å"):
            await tap(value)
        await click(pilot, "#next")  # the one Next of the screen (the keyboard shows none)
        await pilot.pause()
        assert step_id(app) == "alder"
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        assert screen.flow.answers[DESCRIPTION] == "ø\nå"


async def test_welcome_has_no_idea_button_without_an_ideas_section(tmp_path: Path) -> None:
    async with running(tmp_path) as (app, _pilot, _store):
        assert [str(b.render()) for b in app.screen.query(".start")] == ["1  Alle typer"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_idea_on_the_bundled_survey_thanks_with_a_code_of_its_ref(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """Gentofte Mødes: an idea by keys, then a phone can scan the follow-up of its ref."""
    from helpers.qr_decode import decode_screen
    from helpers.surveys import BUNDLED_SURVEY

    bundled = BUNDLED_SURVEY.read_text(encoding="utf-8")
    async with running(tmp_path, survey_text=bundled, size=size, thanks_timeout=600) as (
        app,
        pilot,
        store,
    ):
        await keys(pilot, "2", "4")  # Del en idé; Kultur
        await type_text(pilot, "Skilte på flere sprog")
        await keys(pilot, "enter", "tab", "enter")
        while question_screen(app).flow.current.id != CONSENT:
            await keys(pilot, "enter")  # the about-you questions are optional
        await keys(pilot, "2")
        await wait_for(pilot, lambda: isinstance(app.screen, ThanksScreen))
        (record,) = store.records()
        assert record["idea"]["theme"] == "kultur" and record["ref"].startswith("GM-")
        survey = app.surveys[0]
        url = followup_url(survey.followup.url, record["ref"])
        await wait_for(pilot, lambda: decode_screen(app) == [url])
