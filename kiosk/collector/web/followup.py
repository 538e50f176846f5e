"""``GET /f/{ref}``: the page a visitor's phone opens from the QR code on the thank-you screen.

Public, no sign-in. It shows an idea's title, theme, date, status and the organiser's answer,
or a thank-you for a survey response; nothing personal. A ref the collector does not have
(not synced yet, mistyped, guessed) and a hidden idea get the very same "not arrived yet"
page with the same status, so no page tells whether a ref other than its own exists; and a
client address may open only so many of these pages a minute (429 above).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kiosk.collector.ideas import lookup_ref
from kiosk.collector.web.auth import get_settings, get_storage
from kiosk.collector.web.labels import status_label, theme_label
from kiosk.collector.web.render import page_language, render, translator
from kiosk.refs import normalize_ref

router = APIRouter()
FOLLOWUP_PREFIX = "/f/"


@router.get(FOLLOWUP_PREFIX + "{ref}", name="followup")
def followup_page(request: Request, ref: str) -> Response:
    settings = get_settings(request)
    client = request.client.host if request.client else "unknown"
    if not request.app.state.followup_limiter.allow(client):
        window = int(settings.followup_window_s)
        return render(
            request,
            "error.html",
            {"problem": "error.too_many", "values": {"minutes": max(1, window // 60)}},
            429,
            headers={"Retry-After": str(window)},
        )
    code = normalize_ref(ref[:40])
    shown = code or ref[:40]
    found = lookup_ref(get_storage(request), code, settings.statuses[0].id) if code else None
    lang = page_language(request)
    if found is not None and found.kind == "response":
        return render(request, "followup.html", {"kind": "response", "ref": shown})
    if found is None or found.idea is None or found.idea.hidden:
        return render(request, "followup.html", {"kind": "unknown", "ref": shown})
    idea = found.idea
    t = translator(lang)
    return render(
        request,
        "followup.html",
        {
            "kind": "idea",
            "ref": shown,
            "title": idea.title,
            "theme": theme_label(idea.survey_id, idea.theme, lang),
            "date": idea.date,
            "status": status_label(idea.status, settings.statuses, lang, t),
            "answer": idea.answer(lang),
        },
    )
