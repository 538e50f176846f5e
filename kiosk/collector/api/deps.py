"""What the API's routers share: their state on ``app.state.api``, the token check (a
dependency), the busy reply, and reading a body under the admission."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from kiosk.collector.admission import Admission
from kiosk.collector.api.replies import json_reply
from kiosk.collector.storage import CollectorStorage

log = logging.getLogger("kiosk.collector")

RETRY_AFTER_S = 1

#: What every endpoint may be answered with when the token is missing or wrong.
UNAUTHORISED = {401: {"description": "Missing or wrong token"}}


@dataclass(frozen=True)
class ApiState:
    """The API's share of one collector app; kept on ``app.state.api``."""

    storage: CollectorStorage
    token: bytes
    admission: Admission


def get_api(request: Request) -> ApiState:
    return request.app.state.api  # type: ignore[no-any-return]


def check_token(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """The kiosks' bearer token, or 401 before anything else of the request is read."""
    given = b""
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() == "bearer":  # auth schemes are case-insensitive (RFC 9110 11.1)
        given = credentials.strip().encode("utf-8", "replace")
    if not hmac.compare_digest(given, get_api(request).token):  # constant time: no timing
        raise HTTPException(
            status_code=401,
            detail="missing or wrong token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def busy(reason: str) -> Response:
    log.warning("busy: %s", reason)
    return json_reply(
        {"detail": "collector busy, retry later"}, 503, {"Retry-After": str(RETRY_AFTER_S)}
    )


async def read_body(request: Request, limit: int | None = None, what: str = "") -> bytes | Response:
    """The whole body, or the reply that ends the request: 400 when the kiosk went away
    mid-body (nobody hears it), 413 past ``limit`` bytes, as it is not ``what`` then."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if limit is not None and size > limit:
                return json_reply({"detail": f"body larger than {limit} bytes: not {what}"}, 413)
            chunks.append(chunk)
    except ClientDisconnect:
        return Response(status_code=400)
    return b"".join(chunks)


async def admitted(request: Request, work: Callable[[bytes], Response], what: str) -> Response:
    """``work`` on the request's body in the thread pool, if the admission lets it in (else
    503 + Retry-After). The body is read here, not by FastAPI: the token dependency has run
    by now, so a request without the token is refused before a byte of its body is read."""
    admission = get_api(request).admission
    if not await admission.enter():
        return busy(f"too many concurrent {what}")
    try:
        body = await read_body(request)
        if isinstance(body, Response):
            return body
        return await run_in_threadpool(work, body)
    finally:
        admission.leave()
