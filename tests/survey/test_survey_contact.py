"""A survey's contact step: consent, name and e-mail/phone, kept apart from the answers.

The rules as pure Python, the real app through Pilot on a real store, what ``kiosk export``
writes with and without ``--include-contact``, what the real collector receives by sync,
and what ``kiosk validate`` says about a file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers.collector import TOKEN, CollectorProcess
from helpers.pilot import keys, running, screen_text, step_id, stored, type_text, wait_for
from helpers.surveys import BUNDLED_SURVEY
from helpers.surveys import CONTACT_SURVEY as SURVEY
from kiosk.app.contact import NAME, REACH, SURVEY_CONSENT, ContactStep
from kiosk.app.flow import survey_flow
from kiosk.app.screens.thanks import ThanksScreen
from kiosk.cli import cli
from kiosk.collector.schema import RecordModel
from kiosk.config import SyncConfig
from kiosk.i18n import Translator
from kiosk.records import public_view
from kiosk.survey import load_survey
from kiosk.survey.loader import validate_text

pytestmark = pytest.mark.anyio


def flow_for(tmp_path: Path, lang: str = "da") -> Any:
    path = tmp_path / "udvalg.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    return survey_flow(load_survey(path), t=Translator(lang))


# -- the rules, without a screen ------------------------------------------------------------
def test_contact_becomes_consent_name_and_reach_shown_only_after_yes(tmp_path: Path) -> None:
    flow = flow_for(tmp_path)
    assert [s.id for s in flow.steps] == ["med", SURVEY_CONSENT, NAME, REACH, "hvorfor"]
    assert [s.id for s in flow.visible_steps()] == ["med", "hvorfor"]
    flow.answers["med"] = True
    assert [s.id for s in flow.visible_steps()] == ["med", SURVEY_CONSENT, "hvorfor"]
    flow.answers[SURVEY_CONSENT] = True
    assert [s.id for s in flow.visible_steps()] == ["med", SURVEY_CONSENT, NAME, REACH, "hvorfor"]


def test_contact_is_kept_apart_and_dropped_when_no_longer_shown(tmp_path: Path) -> None:
    flow = flow_for(tmp_path)
    flow.answers.update(
        {"med": True, SURVEY_CONSENT: True, NAME: "Ane", REACH: "ane@gentofte.dk", "hvorfor": "x"}
    )
    assert flow.answers_to_save() == {"med": True, "hvorfor": "x"}
    assert flow.contact() == {"name": "Ane", "email": "ane@gentofte.dk"}
    flow.answers["med"] = False  # Back, and no to the committee after all
    assert flow.contact() is None
    flow.answers["med"] = True
    flow.answers[SURVEY_CONSENT] = False
    assert flow.contact() is None


def test_the_same_checks_and_words_as_the_idea_card(tmp_path: Path) -> None:
    flow = flow_for(tmp_path, lang="en")
    reach = next(s for s in flow.steps if s.id == REACH)
    assert isinstance(reach, ContactStep)
    assert reach.check("ane@") == ("idea.reach_invalid", {})
    assert reach.check("12 34 56 78") is None
    consent = flow.steps[1]
    assert consent.widget == "consent" and not consent.required  # skipping is a no
    assert consent.question.text == {"da": "Må vi kontakte dig", "en": "May we contact you"}
    name = flow.steps[2]
    assert name.question.text == "What is your name?"
    assert reach.question.help == "We only use it for what you said yes to above."


# -- in the app ---------------------------------------------------------------------------
async def test_yes_then_contact_is_stored_apart_and_exported_only_when_asked(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, survey_text=SURVEY) as (app, pilot, _store):
        await keys(pilot, "1", "1")  # start, then Ja to joining
        assert step_id(app) == SURVEY_CONSENT
        assert "i et år" in screen_text(app, "#question-help")
        assert screen_text(app, "#progress") == "Spørgsmål 2 af 5"
        await keys(pilot, "1")  # Ja, kontakt mig
        assert step_id(app) == NAME
        assert screen_text(app, "#progress") == "Spørgsmål 3 af 5"
        await type_text(pilot, "Ane")
        await keys(pilot, "enter")
        await type_text(pilot, "ane@")
        await keys(pilot, "enter")
        assert step_id(app) == REACH
        assert "ligner ikke en e-mail" in screen_text(app, "#message")
        await type_text(pilot, "gentofte.dk")
        await keys(pilot, "enter")
        assert step_id(app) == "hvorfor"
        await type_text(pilot, "Klima")
        await keys(pilot, "enter")
        assert isinstance(app.screen, ThanksScreen)

    (record,), contacts = stored(tmp_path)
    RecordModel.model_validate(public_view(record))
    assert record["answers"] == {"med": True, "hvorfor": "Klima"}
    assert "Ane" not in json.dumps(record) and "gentofte.dk" not in json.dumps(record)
    assert contacts == {
        record["id"]: {"name": "Ane", "email": "ane@gentofte.dk", "record_id": record["id"]}
    }
    data = str(tmp_path / "data")
    for fmt in ("jsonl", "csv"):
        plain = CliRunner().invoke(cli, ["export", "--data", data, "--format", fmt])
        assert plain.exit_code == 0 and "Klima" in plain.stdout
        assert "Ane" not in plain.stdout and "gentofte.dk" not in plain.stdout
        assert "kontakt" not in plain.stdout  # no empty column for the contact step
        full = CliRunner().invoke(
            cli, ["export", "--data", data, "--format", fmt, "--include-contact"]
        )
        assert full.exit_code == 0 and "ane@gentofte.dk" in full.stdout


async def test_no_to_joining_never_asks_for_contact(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=SURVEY) as (app, pilot, _store):
        await keys(pilot, "1", "2")  # start, Nej
        assert step_id(app) == "hvorfor"
        await keys(pilot, "enter")
        assert isinstance(app.screen, ThanksScreen)
    (record,), contacts = stored(tmp_path)
    assert record["answers"] == {"med": False}
    assert contacts == {}


async def test_skipping_the_consent_is_a_no(tmp_path: Path) -> None:
    async with running(tmp_path, survey_text=SURVEY, lang="en") as (app, pilot, _store):
        await keys(pilot, "1", "1")
        assert step_id(app) == SURVEY_CONSENT
        assert screen_text(app, "#next") == "Skip"
        await keys(pilot, "enter")
        assert step_id(app) == "hvorfor"
    _records, contacts = stored(tmp_path)
    assert contacts == {}


async def test_contact_from_the_bundled_survey_is_never_synced(
    tmp_path: Path, shared_collector: CollectorProcess
) -> None:
    sync = SyncConfig(endpoint=shared_collector.url, token=TOKEN, interval=3600)
    settings: dict[str, Any] = {"kiosk_id": "kiosk-contact-1", "sync": sync}
    text = BUNDLED_SURVEY.read_text(encoding="utf-8")
    async with running(tmp_path, survey_text=text, size=(120, 40), **settings) as (
        app,
        pilot,
        store,
    ):
        await wait_for(pilot, lambda: app.sync.available)
        # start; welcome info; bor; emner (none); smiley 4; Ja to the task committee
        await keys(pilot, "1", "enter", "1", "enter", "4", "1")
        assert step_id(app) == "opgaveudvalg-emne"
        await keys(pilot, "3")
        assert step_id(app) == SURVEY_CONSENT
        await keys(pilot, "1")
        await type_text(pilot, "Bo Jensen")
        await keys(pilot, "enter")
        await type_text(pilot, "+45 12 34 56 78")
        await keys(pilot, "enter")
        assert step_id(app) == "kommentar"
        await keys(pilot, "enter", "enter")  # no comment, no age
        assert isinstance(app.screen, ThanksScreen)
        (record,) = store.records()
        await wait_for(pilot, lambda: record["id"] in shared_collector.rows("kiosk-contact-1"))
        rows = shared_collector.rows("kiosk-contact-1")
        assert record["answers"]["opgaveudvalg"] is True
        assert store.contacts()[record["id"]]["phone"] == "+4512345678"
    sent = json.dumps(rows[record["id"]])
    assert "Jensen" not in sent and "12345678" not in sent
    assert "opgaveudvalg-emne" in sent


# -- kiosk validate -------------------------------------------------------------------------
def warnings_of(text: str) -> list[str]:
    report = validate_text(text, "x.yaml")
    assert report.problems == []
    return [f"{w.line}: {w.path}: {w.message}" for w in report.warnings]


def test_validate_warns_about_a_text_question_asking_for_an_email(tmp_path: Path) -> None:
    text = SURVEY.replace("{da: Hvorfor, en: Why}", "{da: Skriv din e-mail, en: Your e-mail}")
    (warning,) = warnings_of(text)
    assert warning.startswith("18: questions[2].text: this looks like it asks for an e-mail")
    assert "type 'contact'" in warning
    phone = SURVEY.replace("{da: Hvorfor, en: Why}", "{da: Dit tlf.nr., en: Your number}")
    assert len(warnings_of(phone)) == 1
    assert warnings_of(SURVEY) == []

    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0  # a warning, not a failure
    assert f"{path}:18: questions[2].text: warning: this looks like" in result.stderr
    assert result.stdout.startswith(f"{path}: ok: udvalg v1")


def test_validate_warns_when_an_info_says_skip_before_a_required_question() -> None:
    info = """\
  - id: hej
    type: info
    text: {da: Velkommen, en: Welcome}
    help: {da: Du kan springe alle spørgsmål over., en: You may skip any question.}
"""
    text = SURVEY.replace("questions:\n", "questions:\n" + info).replace(
        "    type: yes_no\n", "    type: yes_no\n    required: true\n"
    )
    (warning,) = warnings_of(text)
    assert warning.startswith("11: questions[0].help: says every question may be skipped")
    assert "'med'" in warning
    optional = SURVEY.replace("questions:\n", "questions:\n" + info)
    assert warnings_of(optional) == []


def test_bundled_surveys_have_no_warnings() -> None:
    for path in sorted(BUNDLED_SURVEY.parent.glob("*.yaml")):
        report = validate_text(path.read_text(encoding="utf-8"), path.name)
        assert report.ok and report.warnings == [], path.name
        assert report.survey is not None
    bundled = load_survey(BUNDLED_SURVEY)
    contact = bundled.question("opgaveudvalg-kontakt")
    assert contact.type == "contact"
    assert contact.show_if.question == "opgaveudvalg" and contact.show_if.equals is True


def test_contact_question_rules() -> None:
    second = SURVEY + ("  - id: igen\n    type: contact\n    text: Igen\n    help: Vi gemmer det\n")
    problems = [str(p) for p in validate_text(second, "x.yaml").problems]
    assert problems == [
        "x.yaml:20: questions[3].type: a survey has at most one contact question "
        "(the first is questions[1])"
    ]
    looking = SURVEY + (
        "  - id: efter\n    type: text\n    text: Efter\n"
        "    show_if: {question: kontakt, equals: true}\n"
    )
    (problem,) = validate_text(looking, "x.yaml").problems
    assert "kept apart from the answers" in problem.message
    in_card = SURVEY + (
        "ideas:\n  prompt: Din idé\n  themes: [{id: andet, text: Andet}]\n  questions:\n"
        "    - {id: kort, type: contact, text: Kontakt, help: Vi gemmer det}\n"
    )
    (problem,) = validate_text(in_card, "x.yaml").problems
    assert problem.path == "ideas.questions[0].type" and "allow_contact" in problem.message
    required = SURVEY.replace("    type: contact\n", "    type: contact\n    required: true\n")
    (problem,) = validate_text(required, "x.yaml").problems
    assert str(problem) == (
        "x.yaml:13: questions[1].required: a visitor may always say no to being contacted, "
        "so it cannot be required"
    )
    (help_line,) = [line for line in SURVEY.splitlines(True) if "Vi gemmer" in line]
    no_help = SURVEY.replace(help_line, "")
    (problem,) = validate_text(no_help, "x.yaml").problems
    assert problem.path == "questions[1].help" and "missing" in problem.message
