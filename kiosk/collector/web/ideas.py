"""Organisers' pages for ideas: the list (theme, status, date, search) and one idea, where an
organiser sets its status, public answer (da/en), hides it or puts it on the live board.
Viewers see the same pages without the form; every change lands in the idea's history."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from kiosk.collector.accounts import Account
from kiosk.collector.ideas import (
    ANSWER_MAX,
    PAGE_SIZE,
    get_idea,
    idea_history,
    idea_themes,
    list_ideas,
    update_idea,
)
from kiosk.collector.web.auth import get_settings, get_storage, require_organiser, require_viewer
from kiosk.collector.web.labels import status_label, theme_label
from kiosk.collector.web.render import page_language, render, translator

router = APIRouter()
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _labels(request: Request) -> dict[str, Any]:
    settings = get_settings(request)
    lang = page_language(request)
    t = translator(lang)
    return {
        "status_label": lambda sid: status_label(sid, settings.statuses, lang, t),
        "theme_label": lambda survey, theme: theme_label(survey, theme, lang),
        "statuses": settings.statuses,
    }


@router.get("/ideas", name="ideas")
def ideas_page(
    request: Request,
    _account: Annotated[Account, Depends(require_viewer)],
    theme: str = "",
    status: str = "",
    date: str = "",
    q: str = "",
    page: str = "1",
) -> Response:
    settings = get_settings(request)
    storage = get_storage(request)
    number = int(page) if page.isdigit() and len(page) < 6 else 1  # a bad one: the first
    page_no = max(1, min(number, 10_000))
    date = date if _DATE.match(date) else ""
    ideas, total = list_ideas(
        storage,
        default_status=settings.statuses[0].id,
        theme=theme[:100] or None,
        status=status[:100] or None,
        date=date or None,
        search=q[:200] or None,
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "ideas.html",
        {
            "ideas": ideas,
            "total": total,
            "page": page_no,
            "pages": pages,
            "themes": idea_themes(storage),
            "filters": {"theme": theme, "status": status, "date": date, "q": q[:200]},
            **_labels(request),
        },
    )


@router.get("/ideas/{record_id}", name="idea")
def idea_page(
    request: Request, record_id: str, _account: Annotated[Account, Depends(require_viewer)]
) -> Response:
    storage = get_storage(request)
    idea = get_idea(storage, record_id, get_settings(request).statuses[0].id)
    if idea is None:
        return render(request, "error.html", {"problem": "error.no_idea", "back": "/ideas"}, 404)
    return render(
        request,
        "idea.html",
        {
            "idea": idea,
            "history": idea_history(storage, record_id),
            "saved": request.query_params.get("saved") == "1",
            "answer_max": ANSWER_MAX,
            **_labels(request),
        },
    )


@router.post("/ideas/{record_id}", name="idea_update")
def idea_update(
    request: Request,
    record_id: str,
    account: Annotated[Account, Depends(require_organiser)],
    status: Annotated[str, Form(max_length=100)],
    answer_da: Annotated[str, Form(max_length=ANSWER_MAX)] = "",
    answer_en: Annotated[str, Form(max_length=ANSWER_MAX)] = "",
    hidden: Annotated[str, Form(max_length=10)] = "",
    on_board: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Save the form: the whole state of the idea as the organiser left it."""
    settings = get_settings(request)
    if status not in {s.id for s in settings.statuses}:
        back = f"/ideas/{record_id}"
        return render(request, "error.html", {"problem": "error.bad_status", "back": back}, 400)
    try:
        update_idea(
            get_storage(request),
            record_id,
            account.name,
            status=status,
            answer_da=answer_da.strip(),
            answer_en=answer_en.strip(),
            hidden=bool(hidden),
            on_board=bool(on_board),
            default_status=settings.statuses[0].id,
        )
    except KeyError:
        return render(request, "error.html", {"problem": "error.no_idea", "back": "/ideas"}, 404)
    return RedirectResponse(
        request.url_for("idea", record_id=record_id).path + "?saved=1", status_code=303
    )
