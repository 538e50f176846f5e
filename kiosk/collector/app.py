"""The collector's HTTP API on FastAPI (served by uvicorn, see :mod:`kiosk.collector.server`).

The endpoints are plain ``def`` functions: FastAPI runs them in its thread pool,
where blocking SQLite calls belong. Nothing here logs record contents.
"""

from __future__ import annotations

import hmac
import logging
import threading
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from kiosk.collector.limits import BodyLimitMiddleware, SyncHeaderMiddleware
from kiosk.collector.storage import CollectorBusy, CollectorStorage
from kiosk.records import RecordModel
from kiosk.sync.protocol import DIGEST_ROUTE, HEALTH_PATH, SUBMISSIONS_PATH, token_problem

log = logging.getLogger("kiosk.collector")

DEFAULT_MAX_BODY = 8 * 1024 * 1024
DEFAULT_MAX_CONCURRENT = 16
RETRY_AFTER_S = 1


class Submission(BaseModel):
    """A batch of records from one kiosk (records as ``kiosk export --format jsonl`` writes)."""

    kiosk_id: Annotated[str, Field(min_length=1, max_length=64)]
    records: list[dict[str, Any]]


class Result(BaseModel):
    id: str
    status: Literal["accepted", "duplicate", "conflict", "invalid"]
    error: str | None = None


class SubmissionReply(BaseModel):
    results: list[Result]


class Health(BaseModel):
    status: Literal["ok"]


class KioskDigest(BaseModel):
    kiosk_id: str
    count: int
    sha256: str


def create_app(
    storage: CollectorStorage,
    token: str,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
) -> FastAPI:
    """The collector application over ``storage``, accepting requests bearing ``token``."""
    problem = token_problem(token)
    if problem:
        raise ValueError(f"the collector cannot use this token: {problem}")
    expected = token.encode("utf-8")
    slots = threading.BoundedSemaphore(max_concurrent)
    app = FastAPI(
        title="Borgerkiosk collector",
        version="1",
        description="Receives records from Borgerkiosk kiosks. See docs/sync-protocol.md.",
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

    def check_token(authorization: Annotated[str | None, Header()] = None) -> None:
        given = b""
        scheme, _, credentials = (authorization or "").partition(" ")
        if scheme.lower() == "bearer":  # auth schemes are case-insensitive (RFC 9110 11.1)
            given = credentials.strip().encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):  # constant time: no guessing by timing
            raise HTTPException(
                status_code=401,
                detail="missing or wrong token",
                headers={"WWW-Authenticate": "Bearer"},
            )

    def busy(reason: str) -> JSONResponse:
        log.warning("busy: %s", reason)
        return JSONResponse(
            {"detail": "collector busy, retry later"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.get(HEALTH_PATH, response_model=Health)
    def health() -> dict[str, str]:
        """Is this a live collector? No token needed."""
        return {"status": "ok"}

    @app.post(
        SUBMISSIONS_PATH,
        response_model=SubmissionReply,
        response_model_exclude_none=True,
        dependencies=[Depends(check_token)],
        responses={
            401: {"description": "Missing or wrong token"},
            413: {"description": "Body over the collector's limit: send fewer records"},
            503: {"description": "Busy: retry after Retry-After seconds"},
        },
    )
    def submit(submission: Submission) -> Any:
        """Store a batch; one result per record, committed before this reply is sent."""
        if not slots.acquire(timeout=0.5):
            return busy("too many concurrent submissions")
        try:
            results: list[dict[str, Any] | None] = []
            valid: list[tuple[str, dict[str, Any]]] = []
            for record in submission.records:
                problem = _record_problem(record, submission.kiosk_id)
                if problem is None:
                    valid.append((record["id"], record))
                    results.append(None)
                else:
                    results.append(
                        {"id": str(record.get("id")), "status": "invalid", "error": problem}
                    )
            try:
                outcomes = iter(storage.store_batch(valid))
            except CollectorBusy as exc:
                return busy(str(exc))
            merged = []
            for result in results:
                if result is None:
                    outcome = next(outcomes)
                    result = {"id": outcome.id, "status": outcome.status}
                    if outcome.error:
                        result["error"] = outcome.error
                merged.append(result)
            tally: dict[str, int] = {}
            for result in merged:
                tally[result["status"]] = tally.get(result["status"], 0) + 1
            log.info("kiosk %s: %s", submission.kiosk_id, _tally_text(tally))
            return {"results": merged}
        finally:
            slots.release()

    @app.get(DIGEST_ROUTE, response_model=KioskDigest, dependencies=[Depends(check_token)])
    def digest(kiosk_id: str) -> dict[str, Any]:
        """How many records of this kiosk are stored, and a sha256 over their sorted ids."""
        try:
            found = storage.digest(kiosk_id)
        except CollectorBusy:
            raise HTTPException(503, "collector busy", {"Retry-After": "1"}) from None
        return {"kiosk_id": found.kiosk_id, "count": found.count, "sha256": found.sha256}

    app.add_middleware(BodyLimitMiddleware, max_body=max_body)
    app.add_middleware(SyncHeaderMiddleware)
    return app


def _record_problem(record: dict[str, Any], kiosk_id: str) -> str | None:
    """Why a record breaks the record schema (field names only, never values), or None."""
    try:
        RecordModel.model_validate(record)
    except ValidationError as exc:
        parts = []
        for error in exc.errors()[:5]:
            where = ".".join(str(p) for p in error["loc"]) or "record"
            parts.append(f"{where}: {error['msg']}")
        return "; ".join(parts)
    if record["kiosk_id"] != kiosk_id:
        return f"kiosk_id differs from the submission's kiosk_id {kiosk_id!r}"
    return None


def _tally_text(tally: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(tally.items())) or "empty"
