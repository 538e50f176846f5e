"""Words for ids: an idea's status and theme in the page's language."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from kiosk.collector.ideas import Status


def status_label(
    status_id: str, statuses: tuple[Status, ...], lang: str, t: Callable[..., str]
) -> str:
    """An organiser's own words for their status, the web copy's for a standard one, else the id."""
    for status in statuses:
        if status.id == status_id:
            if status.labels:
                return status.labels.get(lang) or status.labels.get("da") or status_id
            break
    text = t(f"status.{status_id}")
    return status_id if text == f"status.{status_id}" else text


@cache
def _bundled_themes() -> dict[tuple[str, str], Any]:
    """Theme texts of the bundled surveys: (survey id, theme id) -> localized text."""
    from kiosk.paths import SURVEYS_DIR
    from kiosk.survey.loader import load_survey

    themes: dict[tuple[str, str], Any] = {}
    for path in sorted(SURVEYS_DIR.glob("*.yaml")):
        try:
            survey = load_survey(path)
        except Exception:  # a broken bundled survey only costs its theme names here
            continue
        if survey.ideas is not None:
            for theme in survey.ideas.themes:
                themes[(survey.id, theme.id)] = theme.text
    return themes


def theme_label(survey_id: str, theme_id: str, lang: str) -> str:
    """The theme's words from the survey (bundled surveys), else its id."""
    from kiosk.i18n import localize

    text = _bundled_themes().get((survey_id, theme_id))
    if text is None and not survey_id:  # the list's filter: themes of any survey
        text = next((v for (_, tid), v in _bundled_themes().items() if tid == theme_id), None)
    return localize(text, lang, "da") if text is not None else theme_id
