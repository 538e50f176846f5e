"""The surveys shipped in surveys/ are valid and fit on a kiosk screen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from kiosk.i18n import localize
from kiosk.paths import PROJECT_ROOT
from kiosk.survey import load_survey, survey_hash, validate_file
from kiosk.survey.model import QUESTION_TYPES, Survey

SURVEYS_DIR = PROJECT_ROOT / "surveys"
SURVEY_FILES = sorted(SURVEYS_DIR.glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=../docs/survey.schema.json"


def test_the_bundled_surveys_are_there() -> None:
    names = {path.name for path in SURVEY_FILES}
    assert {
        "gentofte-moedes.yaml",
        "opgaveudvalg-borgermoede.yaml",
        "koebenhavnerkonference.yaml",
    } <= names


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_survey_validates(path: Path) -> None:
    report = validate_file(path)
    assert report.problems == []
    assert report.ok
    assert report.survey is not None
    assert report.survey.id == path.stem
    assert report.survey.languages == ["da", "en"]


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_survey_starts_with_the_schema_modeline(path: Path) -> None:
    assert path.read_text(encoding="utf-8").splitlines()[0] == MODELINE


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_visible_texts_fit_a_small_kiosk_screen(path: Path) -> None:
    survey = load_survey(path)
    too_long: list[str] = []

    def check(text: object, limit: int, where: str) -> None:
        for lang in survey.languages:
            value = localize(text, lang)  # type: ignore[arg-type]
            if len(value) >= limit:
                too_long.append(f"{where} ({lang}, {len(value)} >= {limit}): {value}")

    check(survey.title, 40, "title")
    for question in survey.all_questions():
        check(question.text, 120, f"{question.id}.text")
        for choice in getattr(question, "choices", []):
            check(choice.text, 40, f"{question.id}.{choice.id}")
    if survey.ideas:
        for theme in survey.ideas.themes:
            check(theme.text, 40, f"theme {theme.id}")
    assert too_long == []


@pytest.fixture(scope="module")
def gentofte() -> Survey:
    return load_survey(SURVEYS_DIR / "gentofte-moedes.yaml")


def test_gentofte_uses_every_question_type(gentofte: Survey) -> None:
    assert {q.type for q in gentofte.questions} == set(QUESTION_TYPES)


def test_gentofte_has_a_smiley_scale_and_a_conditional_question(gentofte: Survey) -> None:
    scales = [q for q in gentofte.questions if q.type == "scale"]
    assert any(q.style == "smileys" for q in scales)
    committee = gentofte.question("opgaveudvalg-emne")
    assert committee.show_if is not None
    assert committee.show_if.question == "opgaveudvalg"
    assert committee.show_if.values() == [True]


def test_gentofte_idea_themes_are_its_topics_plus_other(gentofte: Survey) -> None:
    """An idea is filed by what it is about ("flere bænke ved søen": Trafik og byrum); the
    six principles of "Vi skaber sammen" say how the municipality works: the intro has them."""
    assert gentofte.ideas is not None
    topics = [(c.id, c.text) for c in gentofte.question("emner").choices]
    themes = [(theme.id, theme.text) for theme in gentofte.ideas.themes]
    assert themes[:-1] == topics
    assert themes[-1] == ("andet", {"da": "Andet", "en": "Something else"})
    assert "vi lytter først" in gentofte.intro["da"]
    assert "tydelige rammer" in gentofte.intro["da"]


def test_gentofte_contact_consent_and_followup(gentofte: Survey) -> None:
    assert gentofte.id == "gentofte-moedes"
    assert gentofte.ref_prefix == "GM"
    assert gentofte.ideas is not None
    assert gentofte.ideas.allow_contact is True
    consent_da = localize(gentofte.ideas.consent, "da")
    assert "12 måneder" in consent_da
    assert "e-mail" in consent_da
    assert [q.type for q in gentofte.ideas.questions] == ["single_choice", "single_choice"]
    assert not any(q.required for q in gentofte.ideas.questions)
    assert gentofte.followup is not None
    assert "{ref}" in gentofte.followup.url
    assert gentofte.followup.url.startswith("https://")


def test_copenhagen_conference_asks_two_questions() -> None:
    survey = load_survey(SURVEYS_DIR / "koebenhavnerkonference.yaml")
    assert len(survey.questions) == 2


def test_survey_hash_follows_the_content_not_the_layout(tmp_path: Path) -> None:
    """Records carry the hash of the definition they were answered against: comments and
    layout do not change it, a changed text does."""
    path = SURVEYS_DIR / "koebenhavnerkonference.yaml"
    original = survey_hash(load_survey(path))
    assert re.fullmatch(r"[0-9a-f]{64}", original)

    relaid = tmp_path / "relaid.yaml"  # same content: flow style, no comments, other key order
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    relaid.write_text(
        json.dumps(dict(reversed(list(data.items()))), ensure_ascii=False), encoding="utf-8"
    )
    assert survey_hash(load_survey(relaid)) == original

    changed = tmp_path / "changed.yaml"
    data["questions"][0]["text"] = {"da": "Ny tekst", "en": "New text"}
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert survey_hash(load_survey(changed)) != original
    hashes = {survey_hash(load_survey(p)) for p in SURVEY_FILES}
    assert len(hashes) == len(SURVEY_FILES)
