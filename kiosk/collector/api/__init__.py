"""The collector's HTTP API for kiosks (docs/sync-protocol.md): one router per area, as in
FastAPI's "Bigger Applications", with the token check as a dependency (:mod:`.deps`).

:func:`api_routers` lists the routers; :func:`kiosk.collector.app.create_app` mounts them and
puts what they share (the storage, the token, the admission) on ``app.state.api``.

The endpoints run their blocking work (JSON, pydantic, the database) in the thread pool.
Nothing here logs record contents.
"""

from __future__ import annotations

from fastapi import APIRouter


def api_routers(*, accept_definitions: bool = True) -> list[APIRouter]:
    """Every router of the API; a new area adds its router here.

    ``accept_definitions=False`` leaves out ``PUT /v1/surveys/{survey_hash}``: a collector as
    it was before survey definitions travelled, which new kiosks must keep working with.
    """
    from kiosk.collector.api import digest, health, status, submissions, surveys

    routers = [health.router, submissions.router, digest.router, status.router]
    if accept_definitions:
        routers.append(surveys.router)
    return routers
