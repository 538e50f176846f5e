"""Answers checked against their survey (issue 9): before a record is saved, by
``kiosk stats`` and by ``kiosk export --drop-misfits``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.app.flow import survey_flow
from kiosk.app.saving import RecordSaver
from kiosk.cli import cli
from kiosk.paths import PROJECT_ROOT
from kiosk.store import RecordStore
from kiosk.survey import load_survey, survey_hash
from kiosk.survey.answers import answer_problem, misfits, record_misfits

GENTOFTE = PROJECT_ROOT / "surveys" / "gentofte-moedes.yaml"


@pytest.fixture(scope="module")
def survey() -> Any:
    return load_survey(GENTOFTE)


def good_answers() -> dict[str, Any]:
    return {
        "tilknytning": "bor",
        "emner": ["aeldre", "kultur"],
        "festival": 4,
        "opgaveudvalg": True,
        "opgaveudvalg-emne": "klima",
        "kommentar": "Flere bænke ved søen",
        "alder": 42,
    }


def test_answers_a_visitor_can_give_fit(survey: Any) -> None:
    assert misfits(survey.questions, good_answers()) == {}


@pytest.mark.parametrize(
    ("question_id", "value", "reason"),
    [
        ("emner", "arbejder", "list of choice ids"),  # the burst bug's record
        ("emner", ["aeldre", "arbejder"], "choice ids"),
        ("emner", ["aeldre", "aeldre"], "twice"),
        ("emner", ["aeldre", "kultur", "trafik", "foreninger"], "more than 3"),
        ("emner", [], "list of choice ids"),
        ("tilknytning", ["bor"], "one choice id"),
        ("tilknytning", "klima", "choice ids"),
        ("festival", 6, "outside 1..5"),
        ("festival", True, "whole number"),
        ("festival", "4", "whole number"),
        ("opgaveudvalg", 1, "true or false"),
        ("kommentar", "x" * 301, "longer than 300"),
        ("kommentar", "   ", "not empty"),
        ("alder", 9, "outside 10..110"),
        ("velkommen", "hej", "info screen"),
    ],
)
def test_a_faulty_answer_is_named_with_its_reason(
    survey: Any, question_id: str, value: Any, reason: str
) -> None:
    answers = {**good_answers(), question_id: value}
    if question_id == "opgaveudvalg":
        del answers["opgaveudvalg-emne"]  # it is not shown once this one misfits
    problems = misfits(survey.questions, answers)
    assert list(problems) == [question_id]
    assert reason in problems[question_id]
    assert str(value) not in problems[question_id] or isinstance(value, bool | int)


def test_an_answer_to_a_question_that_was_not_shown_misfits(survey: Any) -> None:
    answers = {**good_answers(), "opgaveudvalg": False}
    assert "show_if" in misfits(survey.questions, answers)["opgaveudvalg-emne"]
    # a faulty answer does not open the questions that depend on it
    answers = {**good_answers(), "opgaveudvalg": "ja"}
    assert set(misfits(survey.questions, answers)) == {"opgaveudvalg", "opgaveudvalg-emne"}
    assert "no such question" in misfits(survey.questions, {"andet": "x"})["andet"]


def test_idea_records_are_checked_against_the_idea_card_questions(survey: Any) -> None:
    record = {"kind": "idea", "answers": {"aldersgruppe": "30-49", "omraade": "ordrup"}}
    assert record_misfits(survey, record) == {}
    record["answers"] = {"aldersgruppe": "tilknytning"}
    assert list(record_misfits(survey, record)) == ["aldersgruppe"]
    assert answer_problem(survey.question("alder"), 42) is None


def test_the_kiosk_saves_a_visit_without_an_answer_that_does_not_fit(
    survey: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flow = survey_flow(survey)
    flow.answers.update({"tilknytning": "bor", "emner": "arbejder", "kommentar": "hemmelig"})
    flow.answers["alder"] = 200
    with RecordStore(tmp_path / "data") as store:
        saver = RecordSaver(store, kiosk_id="k", suspect_seconds=0)
        with caplog.at_level(logging.WARNING, logger="kiosk.app"):
            record = saver.build(flow, survey, survey_hash(survey), "da", completed=True)
        assert saver.save(record).ok
        (saved,) = store.records()
    assert saved["answers"] == {"tilknytning": "bor", "kommentar": "hemmelig"}
    assert saver.misfits == 2
    logged = caplog.text
    assert "emner" in logged and "alder" in logged
    assert "arbejder" not in logged and "200" not in logged and "hemmelig" not in logged


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_stats_reports_and_export_drops_records_that_do_not_fit(
    data_dir: Path, make_record: Callable[..., dict[str, Any]]
) -> None:
    good = make_record(answers={"tilknytning": "bor", "emner": ["kultur"]})
    bad = make_record(answers={"tilknytning": "bor", "emner": "arbejder"})
    other_version = make_record(survey_version=99, answers={"emner": "arbejder"})
    with RecordStore(data_dir) as store:
        for record in (good, bad, other_version):
            store.save(record)
    code, out, _ = run("stats", "--data", str(data_dir))
    assert code == 0
    assert "1 record with answers that do not fit their survey" in out
    assert "  a multiple choice must be a list of choice ids: 1 answer, e.g." in out
    assert f"    gentofte-moedes {bad['id']}: emner\n" in out
    assert "1 record not checked" in out
    assert "--json" not in out  # every one is shown already
    code, out, err = run("export", "--data", str(data_dir), "--drop-misfits")
    assert code == 0
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert sorted(ids) == sorted([good["id"], other_version["id"]])
    assert "Left out 1 record" in err and "1 record not checked" in err
    code, out, _ = run("export", "--data", str(data_dir))
    assert len(out.splitlines()) == 3  # without the option nothing is left out


def test_stats_sums_up_many_misfits_by_reason(
    data_dir: Path, make_record: Callable[..., dict[str, Any]]
) -> None:
    """One line per misfit answer was 300 lines for 300 records; a few per reason now."""
    long_key = "andet-" + "x" * 200  # a key no survey has, as long as the store lets it be
    with RecordStore(data_dir) as store:
        for n in range(40):
            answers = {"emner": "arbejder"} if n < 30 else {long_key: "hemmelig", "festival": 9}
            store.save(make_record(answers=answers))
    code, out, _ = run("stats", "--data", str(data_dir))
    assert code == 0
    assert "40 records with answers that do not fit their survey" in out
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if "do not fit their survey" in line)
    summary = lines[start + 1 :]
    assert summary[0] == "  a multiple choice must be a list of choice ids: 30 answers, e.g."
    assert summary[4] == "    … and 27 more"
    assert "  no such question in the survey: 10 answers, e.g." in summary
    assert "  outside 1..5: 10 answers, e.g." in summary
    assert sum(line.startswith("    gentofte-moedes ") for line in summary) == 9  # 3 a reason
    assert summary[-1] == '  Every one: kiosk stats --json (its "misfits" list).'
    assert len(summary) == 16  # 3 reasons: a heading, 3 records, "and N more"; the pointer
    assert "arbejder" not in out and "hemmelig" not in out  # answers are never shown
    assert f": {long_key[:60]}" in out and long_key[:61] not in out
    code, out, _ = run("stats", "--data", str(data_dir), "--json")
    assert code == 0 and len(json.loads(out)["misfits"]) == 40
