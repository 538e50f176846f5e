"""``kiosk schema``: valid JSON Schema that agrees with the validator about structure."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kiosk.cli import cli
from kiosk.paths import PROJECT_ROOT
from kiosk.survey.loader import validate_text
from kiosk.survey.schema import survey_json_schema_text

ROOT = PROJECT_ROOT
COMMITTED_SCHEMA = ROOT / "docs" / "survey.schema.json"
SURVEY_FILES = sorted((ROOT / "surveys").glob("*.yaml"))


@pytest.fixture(scope="module")
def schema_text() -> str:
    result = CliRunner().invoke(cli, ["schema"], prog_name="kiosk")
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def validator(schema_text: str) -> Draft202012Validator:
    schema = json.loads(schema_text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_schema_is_json_for_draft_2020_12(schema_text: str) -> None:
    schema = json.loads(schema_text)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    Draft202012Validator.check_schema(schema)


def test_committed_schema_is_up_to_date(schema_text: str) -> None:
    assert COMMITTED_SCHEMA.read_text(encoding="utf-8") == schema_text, (
        "docs/survey.schema.json is stale: run `kiosk schema > docs/survey.schema.json`"
    )
    assert schema_text == survey_json_schema_text()


def test_there_are_surveys_to_check() -> None:
    assert len(SURVEY_FILES) >= 3


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_every_survey_matches_the_schema(validator: Draft202012Validator, path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [error.message for error in validator.iter_errors(data)] == []


# --- structurally broken files: both the schema and the validator refuse them ----------------

Mutation = Callable[[dict[str, Any]], None]


def _question(data: dict[str, Any], question_id: str) -> dict[str, Any]:
    return next(q for q in data["questions"] if q["id"] == question_id)


BROKEN: dict[str, Mutation] = {
    "unknown top-level key": lambda d: d.update(titel="Hej"),
    "unknown question key": lambda d: _question(d, "tilknytning").update(requird=True),
    "unknown choice key": lambda d: _question(d, "emner")["choices"][0].update(color="red"),
    "unknown question type": lambda d: _question(d, "alder").update(type="slider"),
    "question without type": lambda d: _question(d, "alder").pop("type"),
    "missing title": lambda d: d.pop("title"),
    "missing questions": lambda d: d.pop("questions"),
    "question without id": lambda d: _question(d, "kommentar").pop("id"),
    "choice without text": lambda d: _question(d, "emner")["choices"][0].pop("text"),
    "version is text": lambda d: d.update(version="one"),
    "version is a quoted number": lambda d: d.update(version="1"),
    "version zero": lambda d: d.update(version=0),
    "required is text": lambda d: _question(d, "tilknytning").update(required="ja"),
    "max is a quoted number": lambda d: _question(d, "alder").update(max="110"),
    "text is a list": lambda d: _question(d, "alder").update(text=["a"]),
    "translation is a number": lambda d: d.update(title={"da": "T", "en": 5}),
    "questions is a mapping": lambda d: d.update(questions={"a": 1}),
    "empty choices": lambda d: _question(d, "emner").update(choices=[]),
    "empty questions": lambda d: d.update(questions=[]),
    "empty themes": lambda d: d["ideas"].update(themes=[]),
    "empty languages": lambda d: d.update(languages=[]),
    "language listed twice": lambda d: d.update(languages=["da", "en", "da"]),
    "bad question id": lambda d: _question(d, "alder").update(id="Alder i år"),
    "bad language code": lambda d: d.update(languages=["da", "English"]),
    "bad ref_prefix": lambda d: d.update(ref_prefix="gm"),
    "bad style": lambda d: _question(d, "festival").update(style="emoji"),
    "required info screen": lambda d: _question(d, "velkommen").update(required=True),
    "max_choices zero": lambda d: _question(d, "emner").update(max_choices=0),
    "max_length too long": lambda d: _question(d, "kommentar").update(max_length=5000),
    "followup url not http": lambda d: d["followup"].update(url="ftp://x/{ref}"),
    "show_if is a list": lambda d: _question(d, "opgaveudvalg-emne").update(show_if=["x"]),
    "show_if in is empty": lambda d: _question(d, "opgaveudvalg-emne").update(
        show_if={"question": "opgaveudvalg", "in": []}
    ),
    "ideas is text": lambda d: d.update(ideas="yes please"),
    "empty text": lambda d: d.update(intro=""),
    "blank translation": lambda d: d.update(intro={"da": "  ", "en": "Hi"}),
    "empty translation mapping": lambda d: d.update(intro={}),
    "translation key not a language": lambda d: d.update(intro={"da": "Hej", "English": "Hi"}),
    "unquoted yes as a text": lambda d: _question(d, "emner")["choices"][0].update(text=True),
    "show_if with equals and in": lambda d: _question(d, "opgaveudvalg-emne").update(
        show_if={"question": "opgaveudvalg", "equals": True, "in": [True]}
    ),
    "show_if with neither equals nor in": lambda d: _question(d, "opgaveudvalg-emne").update(
        show_if={"question": "opgaveudvalg"}
    ),
}


GENTOFTE_DATA = yaml.safe_load((ROOT / "surveys" / "gentofte-moedes.yaml").read_text("utf-8"))
SCHEMA_VALIDATOR = Draft202012Validator(json.loads(survey_json_schema_text()))


@pytest.fixture(scope="module")
def gentofte_data() -> dict[str, Any]:
    return copy.deepcopy(GENTOFTE_DATA)


@pytest.mark.parametrize("mutation", BROKEN.values(), ids=BROKEN.keys())
def test_broken_structure_is_refused_by_schema_and_validator(
    validator: Draft202012Validator, gentofte_data: dict[str, Any], mutation: Mutation
) -> None:
    data = copy.deepcopy(gentofte_data)
    mutation(data)
    assert list(validator.iter_errors(data)), "the schema accepts it"
    report = validate_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "b.yaml")
    assert report.problems, "the validator accepts it"


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 200)
    | st.sampled_from(["", " ", "x", "da", "yes_no", "single_choice", "GM", "https://x/{ref}"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "text", "da", "en", "type", "in"]), inner)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_whatever_the_validator_accepts_the_schema_accepts(data: st.DataObject) -> None:
    """Change one value of the Gentofte survey; if the validator still accepts it, so must
    the schema (the validator checks more, so the reverse need not hold)."""
    survey = copy.deepcopy(GENTOFTE_DATA)
    here: Any = survey
    while True:
        keys = sorted(here, key=str) if isinstance(here, dict) else list(range(len(here)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        child = here[key]
        if isinstance(child, dict | list) and child and data.draw(st.booleans()):
            here = child
            continue
        if data.draw(st.booleans()) and isinstance(here, dict):
            del here[key]
        else:
            here[key] = data.draw(VALUES)
        break
    report = validate_text(yaml.safe_dump(survey, allow_unicode=True, sort_keys=False), "m.yaml")
    if report.ok:
        assert [e.message for e in SCHEMA_VALIDATOR.iter_errors(survey)] == []


def test_unmodified_gentofte_is_accepted_by_both(
    validator: Draft202012Validator, gentofte_data: dict[str, Any]
) -> None:
    assert list(validator.iter_errors(gentofte_data)) == []
    report = validate_text(yaml.safe_dump(gentofte_data, allow_unicode=True), "g.yaml")
    assert report.ok
