"""Results for organisers: tallies of records (:mod:`.model`), the Excel workbook
(:mod:`.workbook`) and the printable HTML report (:mod:`.report`).

The model is pure Python; the workbook needs openpyxl and the report Jinja2 and
matplotlib, each imported only by the command that writes it.
"""

from kiosk.results.model import (
    COPENHAGEN,
    Definitions,
    Filters,
    QuestionResult,
    Results,
    SurveyResult,
    local_time,
    status,
    tally,
)

__all__ = [
    "COPENHAGEN",
    "Definitions",
    "Filters",
    "QuestionResult",
    "Results",
    "SurveyResult",
    "local_time",
    "status",
    "tally",
]
