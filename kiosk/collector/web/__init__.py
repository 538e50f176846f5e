"""The collector's web side: organisers' pages behind a sign-in, and visitors' follow-up pages.

:func:`web_routers` lists the routers (one per area, as in FastAPI's "Bigger Applications");
:func:`install_web` mounts them on the collector app with what they share: the storage and
settings on ``app.state``, the CSRF check on every router, the security headers, the static
files and the pages for "sign in first", "not allowed" and "form expired".
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from kiosk.collector.ideas import Status, default_statuses
from kiosk.collector.storage import CollectorStorage
from kiosk.collector.web.auth import (
    CsrfRefused,
    NotAllowed,
    SignInRequired,
    WebSettings,
    csrf_guard,
    sign_in_redirect,
)
from kiosk.collector.web.live import LiveSettings

STATIC_PATH = "/static"


def web_routers() -> list[APIRouter]:
    """Every router of the web side; a new area adds its router here."""
    from kiosk.collector.web import auth, board_page, followup, ideas, overview_page, results_page

    return [
        auth.router,
        ideas.router,
        followup.router,
        overview_page.router,
        results_page.router,
        board_page.router,
    ]


def install_web(
    app: FastAPI,
    storage: CollectorStorage,
    *,
    public_url: str | None = None,
    followup_limit: int = 30,
    followup_window_s: float = 60.0,
    statuses: list[Status] | None = None,
    live: LiveSettings | None = None,
) -> None:
    """Mount the web side on ``app`` (the collector's sync API stays as it is)."""
    from kiosk.collector.accounts import secret_key
    from kiosk.collector.web.headers import SecurityHeadersMiddleware
    from kiosk.collector.web.ratelimit import RateLimiter
    from kiosk.collector.web.render import render

    app.state.storage = storage
    app.state.web = WebSettings(
        secret_key=secret_key(storage),
        public_url=public_url.rstrip("/") if public_url else None,
        followup_limit=followup_limit,
        followup_window_s=followup_window_s,
        statuses=tuple(statuses or default_statuses()),
    )
    app.state.followup_limiter = RateLimiter(followup_limit, followup_window_s)
    for router in web_routers():
        app.include_router(router, dependencies=[Depends(csrf_guard)])
    app.mount(
        STATIC_PATH,
        StaticFiles(packages=[("kiosk.collector.web", "static")]),
        name="static",
    )

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, _exc: SignInRequired) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, _exc: NotAllowed) -> Response:
        return render(request, "error.html", {"problem": "error.not_allowed"}, 403)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _exc: CsrfRefused) -> Response:
        return render(request, "error.html", {"problem": "error.csrf"}, 403)

    from kiosk.collector.web.live import install_live

    install_live(app, live)  # the overview's, results' and board's settings and fragments
    app.add_middleware(SecurityHeadersMiddleware)
