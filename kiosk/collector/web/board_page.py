"""The public projector board of a survey: chosen questions' results and the ideas an
organiser approved for it, in large type, refreshing itself.

Public (no sign-in: it runs on the venue's projector), so it shows only what may be shown:
no question's results before at least ``board_min_answers`` visitors answered it (10 by
default, so no single visitor's answer can be singled out), never a text answer, and only
ideas approved for the board and not hidden (:func:`kiosk.collector.ideas.board_ideas`).
The numbers are the results model's, as on the results page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kiosk.collector.ideas import board_ideas
from kiosk.collector.kiosk_status import kiosks_of_survey
from kiosk.collector.web.auth import get_settings, get_storage
from kiosk.collector.web.labels import theme_label
from kiosk.collector.web.live import live_settings
from kiosk.collector.web.render import page_language, render
from kiosk.collector.web.results_page import survey_definitions, tally_for
from kiosk.results.model import COPENHAGEN, Filters, QuestionResult

router = APIRouter()
BOARD_PATH = "/board/{survey_id}"
#: Ideas on the board at once, the most recently approved first.
BOARD_IDEAS = 12


class _NoCharts:
    """The report's rows without its matplotlib charts: the board draws its own bars."""

    @staticmethod
    def bar_chart(*_args: Any) -> str:
        return ""

    @staticmethod
    def column_chart(*_args: Any) -> str:
        return ""


def _board_item(question: QuestionResult, min_answers: int, lang: str) -> dict[str, Any]:
    from kiosk.i18n import Translator
    from kiosk.results.report import _number_format, _question_view

    shown = question.answered >= min_answers
    rows = []
    if shown:
        view = _question_view(question, Translator(lang), _number_format(lang), _NoCharts)
        for row in view.rows:
            width = round(row.count / question.shown * 100) if question.shown else 0
            rows.append({**row.__dict__, "width": max(0, min(100, width))})
    return {"question": question, "shown": shown, "rows": rows}


def _context(request: Request, survey_id: str) -> dict[str, Any] | None:
    storage = get_storage(request)
    definitions = survey_definitions(request)
    newest = definitions.newest(survey_id)
    if newest is None and not kiosks_of_survey(storage, survey_id):
        return None
    lang = page_language(request)
    settings = live_settings(request)
    results = tally_for(storage, definitions, survey_id, Filters(), lang).results
    questions = results.surveys[0].questions if results.surveys else []
    chosen = [q for q in request.query_params.getlist("q") if q][:20]
    if chosen:
        questions = [q for q in questions if q.id in chosen]
    # free text and contact steps: never in public
    questions = [q for q in questions if q.type not in ("text", "contact", "info")]
    title = results.surveys[0].title if results.surveys else survey_id
    if newest is not None and not results.surveys:
        from kiosk.i18n import localize

        title = localize(newest.title, lang, newest.default_language)
    default_status = get_settings(request).statuses[0].id
    query = request.url.query
    return {
        "title": title,
        "questions": [_board_item(q, settings.board_min_answers, lang) for q in questions],
        "ideas": board_ideas(storage, survey_id, default_status)[:BOARD_IDEAS],
        "theme_label": lambda sid, theme: theme_label(sid, theme, lang),
        "min_answers": settings.board_min_answers,
        "refresh_s": settings.refresh_s,
        "fragment_url": request.url.path.rstrip("/") + "/live" + (f"?{query}" if query else ""),
        "now": datetime.now(COPENHAGEN),
    }


def _unknown(request: Request) -> Response:
    return render(request, "error.html", {"problem": "results.not_found", "back": "/"}, 404)


@router.get(BOARD_PATH, name="board")
def board(request: Request, survey_id: str) -> Response:
    """The board page (public)."""
    context = _context(request, survey_id)
    if context is None:
        return _unknown(request)
    return render(request, "board.html", context)


@router.get(BOARD_PATH + "/live", name="board_live")
def board_fragment(request: Request, survey_id: str) -> Response:
    """The board's body alone, for its own refresh."""
    context = _context(request, survey_id)
    if context is None:
        return _unknown(request)
    context["fragment_url"] = request.url.path + (
        f"?{request.url.query}" if request.url.query else ""
    )
    return render(request, "board_body.html", context)
