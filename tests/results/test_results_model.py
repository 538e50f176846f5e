"""The results model against a count made by hand over the same records."""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path

from helpers.results_event import KIOSKS, SCRIPT_TITLE, V1_FILE, V2_FESTIVAL, expected, make_event
from kiosk.records import new_record
from kiosk.results import Definitions, Filters, tally
from kiosk.results.sources import load_definitions
from kiosk.survey import load_survey, survey_hash


def _event(tmp_path: Path):
    records, files = make_event(tmp_path)
    definitions, problems = load_definitions(files)
    assert problems == []
    return records, definitions


def test_counts_equal_the_hand_count(tmp_path: Path) -> None:
    records, definitions = _event(tmp_path)
    want = expected(records)
    results = tally(records, definitions, lang="da", yes_no=("Ja", "Nej"))
    [survey] = results.surveys
    assert (survey.completed, survey.partial, survey.suspect) == (
        want["completed"],
        want["partial"],
        want["suspect"],
    )
    assert survey.visitors == want["visitors"] == want["completed"] + want["partial"]
    assert survey.ideas == want["ideas"] == 11
    questions = {q.id: q for q in survey.questions}
    for qid in want["shown"]:
        assert questions[qid].shown == want["shown"][qid], qid
        assert questions[qid].answered == want["answered"][qid], qid
    tilknytning = {c.id: c for c in questions["tilknytning"].choices}
    for choice, count in want["tilknytning"].items():
        assert tilknytning[choice].count == count
        assert tilknytning[choice].share == count / want["shown"]["tilknytning"]
    assert tilknytning["bor"].label == "Jeg bor her"
    assert {c.id: c.count for c in questions["emner"].choices} == want["emner"]
    yes_no = {c.label: c.count for c in questions["opgaveudvalg"].choices}
    assert yes_no == {"Ja": want["opgaveudvalg"]["yes"], "Nej": want["opgaveudvalg"]["no"]}
    festival = questions["festival"]
    assert festival.mean == statistics.fmean(want["festival_values"])
    assert festival.median == statistics.median(want["festival_values"])
    assert [v for v, _ in festival.distribution] == [1, 2, 3, 4, 5]
    assert sum(n for _, n in festival.distribution) == len(want["festival_values"])
    alder = dict(questions["alder"].distribution)
    for value in set(want["alder_values"]):
        assert alder[value] == want["alder_values"].count(value)
    assert sorted(t.text for t in questions["kommentar"].texts) == sorted(want["kommentar"])
    assert {t.theme: len(t.ideas) for t in survey.themes if t.ideas} == {
        k: v for k, v in want["themes"].items() if v
    }
    assert survey.per_kiosk == want["per_kiosk"]
    assert sum(sum(hours) for hours in survey.per_hour.values()) == sum(want["per_kiosk"].values())
    assert any(i.title == SCRIPT_TITLE for t in survey.themes for i in t.ideas)


def test_versions_are_reported_together_with_a_note_on_the_changed_text(tmp_path: Path) -> None:
    records, definitions = _event(tmp_path)
    [survey] = tally(records, definitions).surveys
    assert [(v.version, v.definition) for v in survey.versions] == [(1, "exact"), (2, "exact")]
    questions = {q.id: q for q in survey.questions}
    assert questions["festival"].text == V2_FESTIVAL  # the newest version's text
    assert questions["festival"].text_changed_in == [1]
    assert questions["tilknytning"].text_changed_in == []
    assert questions["tilknytning"].choices_changed_in == []


def test_filters_kiosk_dates_partial_and_suspect(tmp_path: Path) -> None:
    records, definitions = _event(tmp_path)
    responses = [r for r in records if r["kind"] == "response"]
    only_one = tally(records, definitions, Filters(kiosks=frozenset({KIOSKS[0]}))).surveys[0]
    assert only_one.in_scope == sum(r["kiosk_id"] == KIOSKS[0] for r in responses)
    strict = Filters(include_partial=False, include_suspect=True)
    [survey] = tally(records, definitions, strict).surveys
    assert survey.visitors == sum(r["completed"] or r["suspect"] for r in responses)
    none = tally(records, definitions, Filters(date_from=date(2026, 9, 6))).surveys
    assert none == []


def test_without_a_definition_the_answers_are_still_counted(tmp_path: Path) -> None:
    records, _ = _event(tmp_path)
    [survey] = tally(records, Definitions()).surveys
    assert not survey.has_definition
    emner = {q.id: q for q in survey.questions}["emner"]
    assert emner.guessed and emner.type == "multiple_choice"
    assert sum(c.count for c in emner.choices) == sum(expected(records)["emner"].values())
    assert V1_FILE.exists()


def test_a_record_of_an_edited_file_finds_its_version_by_number(tmp_path: Path) -> None:
    records, definitions = _event(tmp_path)
    v1 = [r for r in records if r["survey_version"] == 1 and r["kind"] == "response"]
    for record in v1:
        record["survey_hash"] = "ab" * 32  # the file was edited after the event, same version
    [survey] = tally(v1, definitions).surveys
    assert [(v.version, v.definition) for v in survey.versions] == [(1, "same-version")]
    festival = {q.id: q for q in survey.questions}["festival"]
    assert festival.shown > 0 and not festival.guessed


def test_shown_follows_each_version_with_and_without_show_if_or_definition(
    tmp_path: Path,
) -> None:
    """Counted by hand: a version whose file has no show_if (a partial visit was shown every
    question up to its last answer), the bundled one with show_if, and a version without
    a definition (a question counts as shown when answered, an unknown id is guessed)."""
    text = V1_FILE.read_text(encoding="utf-8")
    ungated = [line for line in text.splitlines(keepends=True) if "show_if:" not in line]
    v3_file = tmp_path / "gentofte-moedes-v3.yaml"
    v3_file.write_text("".join(ungated).replace("version: 1", "version: 3", 1), "utf-8")
    definitions, problems = load_definitions([V1_FILE, v3_file])
    assert problems == []
    v1, v3 = (survey_hash(load_survey(path)) for path in (V1_FILE, v3_file))

    def visit(version: int, digest: str, completed: bool, answers: dict) -> dict:
        return new_record(
            kind="response",
            survey_id="gentofte-moedes",
            survey_version=version,
            survey_hash=digest,
            kiosk_id=KIOSKS[0],
            lang="da",
            started_at="2026-09-05T10:00:00.000Z",
            completed=completed,
            answers=answers,
        )

    records = [
        visit(3, v3, False, {"tilknytning": "bor", "festival": 3}),
        visit(3, v3, True, {"opgaveudvalg": False}),
        visit(3, v3, False, {}),
        visit(1, v1, False, {"tilknytning": "bor", "opgaveudvalg": False, "kommentar": "x"}),
        visit(1, v1, False, {"opgaveudvalg": True}),
        visit(9, "cd" * 32, False, {"festival": 4, "nyt": "z"}),
    ]
    [survey] = tally(records, definitions).surveys
    assert survey.visitors == 6
    counts = {q.id: (q.shown, q.answered) for q in survey.questions}
    assert counts == {
        "tilknytning": (4, 2),
        "emner": (4, 0),
        "festival": (5, 2),
        "opgaveudvalg": (3, 3),
        "opgaveudvalg-emne": (1, 0),
        "opgaveudvalg-kontakt": (1, 0),
        "kommentar": (2, 1),
        "alder": (1, 0),
        "nyt": (1, 1),
    }
    assert [q.id for q in survey.questions if q.guessed] == ["nyt"]
