"""The collector application: the kiosks' API (:mod:`kiosk.collector.api`) and the web side
(:mod:`kiosk.collector.web`) on one FastAPI app, served by uvicorn
(:mod:`kiosk.collector.server`).

Each side is a set of routers, one per area, as in FastAPI's "Bigger Applications"; this
module only mounts them with what they share, and the limits every request passes first.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kiosk.collector.admission import DEFAULT_MAX_CONCURRENT, Admission, waiting_room
from kiosk.collector.api import api_routers
from kiosk.collector.api.deps import ApiState
from kiosk.collector.ideas import Status
from kiosk.collector.limits import BodyLimitMiddleware, SyncHeaderMiddleware
from kiosk.collector.storage import CollectorStorage
from kiosk.sync.protocol import token_problem

DEFAULT_MAX_BODY = 8 * 1024 * 1024

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_MAX_CONCURRENT", "create_app"]


def create_app(
    storage: CollectorStorage,
    token: str,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    accept_definitions: bool = True,
    public_url: str | None = None,
    idea_statuses: list[Status] | None = None,
    quiet_after_s: float | None = None,
) -> FastAPI:
    """The collector application over ``storage``, accepting requests bearing ``token``.

    ``accept_definitions=False`` leaves out ``PUT /v1/surveys/{survey_hash}``: a collector
    as it was before survey definitions travelled, which new kiosks must keep working with.
    ``public_url`` is the address visitors' phones reach it at (follow-up links, Secure
    cookies when it is https); ``idea_statuses`` an organiser's own list of idea statuses.
    """
    problem = token_problem(token)
    if problem:
        raise ValueError(f"the collector cannot use this token: {problem}")
    app = FastAPI(
        title="Borgerkiosk collector",
        version="1",
        description="Receives records from Borgerkiosk kiosks. See docs/sync-protocol.md.",
    )
    app.state.api = ApiState(
        storage=storage,
        token=token.encode("utf-8"),
        admission=Admission(max_concurrent, waiting_room(max_concurrent)),
    )

    @app.exception_handler(RequestValidationError)
    async def not_a_submission(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 naming where the body is wrong, never echoing what it holds (FastAPI's default
        sends the input back: it may be a visitor's words, and kiosk sync prints replies)."""
        problems = [
            {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error["type"]}
            for error in exc.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    for router in api_routers(accept_definitions=accept_definitions):
        app.include_router(router)

    from kiosk.collector.web import install_web

    # organisers' pages and the visitors' /f/{ref}
    from kiosk.collector.web.live import live_settings_for

    install_web(
        app,
        storage,
        public_url=public_url,
        statuses=idea_statuses,
        live=live_settings_for(quiet_after_s),
    )
    app.add_middleware(BodyLimitMiddleware, max_body=max_body)
    app.add_middleware(SyncHeaderMiddleware)
    return app
