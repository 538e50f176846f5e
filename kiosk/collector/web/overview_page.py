"""The organisers' event overview: every kiosk, when it was last heard from, what arrived
today and in all, what is still pending on it, its last sync error, store and disk, and a
clear warning when it has gone quiet. The table refreshes itself (htmx, see ``live.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kiosk.collector.accounts import Account
from kiosk.collector.overview import Overview, load_overview
from kiosk.collector.web.auth import get_storage, require_viewer
from kiosk.collector.web.live import live_settings, require_viewer_fragment, size_text
from kiosk.collector.web.render import render

router = APIRouter()
OVERVIEW_PATH = "/overview"
FRAGMENT_PATH = "/overview/live"


def _context(request: Request) -> dict[str, Any]:
    settings = live_settings(request)
    overview: Overview = load_overview(
        get_storage(request),
        quiet_after=settings.quiet_after,
        low_disk_bytes=settings.low_disk_bytes,
    )
    return {
        "overview": overview,
        "quiet_minutes": int(settings.quiet_after.total_seconds() // 60),
        "refresh_s": settings.refresh_s,
        "fragment_url": FRAGMENT_PATH,
        "size_text": size_text,
        "minutes_since": lambda moment: int((overview.now - moment).total_seconds() // 60),
    }


@router.get(OVERVIEW_PATH, name="overview")
def overview_page(
    request: Request, _account: Annotated[Account, Depends(require_viewer)]
) -> Response:
    return render(request, "overview.html", _context(request))


@router.get(FRAGMENT_PATH, name="overview_live")
def overview_fragment(
    request: Request, _account: Annotated[Account, Depends(require_viewer_fragment)]
) -> Response:
    """The overview's table alone, for the page's own refresh."""
    return render(request, "overview_table.html", _context(request))
