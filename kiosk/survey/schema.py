"""The JSON Schema of survey files, generated from the same models the validator uses."""

from __future__ import annotations

import json
from typing import Any

from kiosk.survey.model import Survey


def survey_json_schema() -> dict[str, Any]:
    """The schema an editor's YAML language server uses for completion and checks."""
    schema = Survey.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://borgerkiosk.dk/schema/survey.json"
    return schema


def survey_json_schema_text() -> str:
    return json.dumps(survey_json_schema(), indent=2, ensure_ascii=False) + "\n"
