"""The survey format: models, loading with line-accurate problems, and the JSON Schema."""

from kiosk.survey.loader import (
    Problem,
    Report,
    SurveyError,
    load_survey,
    survey_hash,
    validate_file,
)
from kiosk.survey.model import Survey, localize

__all__ = [
    "Problem",
    "Report",
    "Survey",
    "SurveyError",
    "load_survey",
    "localize",
    "survey_hash",
    "validate_file",
]
