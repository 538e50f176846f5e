"""The survey format: models, loading with line-accurate problems, and the JSON Schema."""

from kiosk.i18n import localize
from kiosk.survey.loader import (
    Report,
    SurveyError,
    SurveyProblem,
    load_survey,
    survey_hash,
    validate_file,
)
from kiosk.survey.model import Survey

__all__ = [
    "Report",
    "Survey",
    "SurveyError",
    "SurveyProblem",
    "load_survey",
    "localize",
    "survey_hash",
    "validate_file",
]
