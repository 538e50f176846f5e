"""The collector's HTTP API on FastAPI (served by uvicorn, see :mod:`kiosk.collector.server`).

The endpoints are plain ``def`` functions: FastAPI runs them in its thread pool,
where blocking SQLite calls belong. Nothing here logs record contents.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from kiosk.collector import definitions
from kiosk.collector.admission import DEFAULT_MAX_CONCURRENT, Admission, waiting_room
from kiosk.collector.ideas import Status
from kiosk.collector.kiosk_status import MAX_STATUS_BODY, StatusMessage, save_status
from kiosk.collector.limits import BodyLimitMiddleware, SyncHeaderMiddleware
from kiosk.collector.schema import KioskId, RecordModel
from kiosk.collector.storage import CollectorBusy, CollectorStorage, Row, prepare_row
from kiosk.records import now_iso
from kiosk.sync.protocol import (
    DIGEST_ROUTE,
    HEALTH_PATH,
    STATUS_PATH,
    SUBMISSIONS_PATH,
    SURVEY_ROUTE,
    RecordResult,
    token_problem,
)

log = logging.getLogger("kiosk.collector")

DEFAULT_MAX_BODY = 8 * 1024 * 1024
RETRY_AFTER_S = 1


class Submission(BaseModel):
    """A batch of records from one kiosk (records as ``kiosk export --format jsonl`` writes)."""

    model_config = ConfigDict(strict=True)

    kiosk_id: KioskId
    records: list[dict[str, Any]]
    #: The sending data directory's id (docs/sync-protocol.md); older kiosks leave it out.
    store_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] | None = None


class SubmissionReply(BaseModel):
    results: list[RecordResult]
    warnings: list[str] = []


class Health(BaseModel):
    status: Literal["ok"]


class KioskDigest(BaseModel):
    kiosk_id: str
    count: int
    sha256: str
    stores: int


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
    expected = token.encode("utf-8")
    slots = Admission(max_concurrent, waiting_room(max_concurrent))
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

    def busy(reason: str) -> Response:
        log.warning("busy: %s", reason)
        return _json(
            {"detail": "collector busy, retry later"}, 503, {"Retry-After": str(RETRY_AFTER_S)}
        )

    @app.get(HEALTH_PATH, response_model=Health)
    def health() -> dict[str, str]:
        """Is this a live collector? No token needed."""
        return {"status": "ok"}

    def store(body: bytes) -> Response:
        """Parse, check and store one submission (in the thread pool: JSON and SQLite block)."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past reason
            return _json(
                {"detail": [{"loc": ["body"], "msg": "not a JSON document", "type": "json"}]},
                422,
            )
        try:
            submission = Submission.model_validate(data)
        except ValidationError as exc:
            problems = [
                {
                    "loc": ["body", *_safe_loc(error["loc"])],
                    "msg": error["msg"],
                    "type": error["type"],
                }
                for error in exc.errors()[:10]
            ]
            log.warning("refused a submission: %s", "; ".join(_where(p["loc"]) for p in problems))
            return _json({"detail": problems}, 422)
        refused: list[RecordResult | None] = []  # None: valid, its result comes from storage
        valid: list[Row] = []
        now = now_iso()
        for record in submission.records:
            problem = _record_problem(record, submission.kiosk_id)
            if problem is None:
                try:  # serialised once: what storage hashes must be valid UTF-8
                    valid.append(prepare_row(record["id"], record, now))
                    refused.append(None)
                    continue
                except (UnicodeError, ValueError, RecursionError):
                    problem = _NOT_UNICODE
            refused.append(RecordResult(_result_id(record), "invalid", problem))
        try:
            stored = iter(storage.store_prepared(valid))
        except CollectorBusy as exc:
            return busy(str(exc))
        results = [result or next(stored) for result in refused]
        tally = Counter(result.status for result in results)
        log.info("kiosk %s: %s", _quoted(submission.kiosk_id), _tally_text(tally))
        reply: dict[str, Any] = {"results": [result.as_json() for result in results]}
        if submission.store_id is not None:
            try:
                stores = storage.note_store(submission.kiosk_id, submission.store_id)
            except CollectorBusy:  # the records are committed; the note can wait for next time
                stores = []
            if len(stores) > 1:
                reply["warnings"] = [shared_kiosk_id_warning(submission.kiosk_id, stores)]
                log.warning(
                    "kiosk %s: %d data directories send under this id",
                    _quoted(submission.kiosk_id),
                    len(stores),
                )
        return _json(reply, 200)

    @app.post(
        SUBMISSIONS_PATH,
        response_model=SubmissionReply,
        response_model_exclude_none=True,
        dependencies=[Depends(check_token)],
        responses={
            401: {"description": "Missing or wrong token"},
            413: {"description": "Body over the collector's limit: send fewer records"},
            422: {"description": "Not a submission: the body is not JSON or not of this form"},
            503: {"description": "Busy: retry after Retry-After seconds"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": Submission.model_json_schema()}},
            }
        },
    )
    async def submit(request: Request) -> Response:
        """Store a batch; one result per record, committed before this reply is sent.

        The body is read here, not by FastAPI: the token dependency has run by now, so a
        request without the token is refused before a byte of its body is read or parsed.
        """
        if not await slots.enter():
            return busy("too many concurrent submissions")
        try:
            chunks = []
            try:
                async for chunk in request.stream():
                    chunks.append(chunk)
            except ClientDisconnect:
                return Response(status_code=400)  # the kiosk went away mid-body: nobody hears
            return await run_in_threadpool(store, b"".join(chunks))
        finally:
            slots.leave()

    @app.get(DIGEST_ROUTE, response_model=KioskDigest, dependencies=[Depends(check_token)])
    def digest(kiosk_id: str) -> dict[str, Any]:
        """How many records of this kiosk are stored, and a sha256 over their sorted ids."""
        try:
            found = storage.digest(kiosk_id)
        except CollectorBusy:
            raise HTTPException(503, "collector busy", {"Retry-After": "1"}) from None
        return {
            "kiosk_id": found.kiosk_id,
            "count": found.count,
            "sha256": found.sha256,
            "stores": found.stores,
        }

    if accept_definitions:
        _add_definitions_route(app, storage, slots, check_token, busy)

    @app.post(
        STATUS_PATH,
        response_model=Health,
        dependencies=[Depends(check_token)],
        responses={
            401: {"description": "Missing or wrong token"},
            413: {"description": f"Body over {MAX_STATUS_BODY} bytes: not a status message"},
            422: {"description": "Not a status message: the body is not JSON or not of this form"},
            503: {"description": "Busy: the next round sends the status again"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": StatusMessage.model_json_schema()}},
            }
        },
    )
    async def kiosk_status(request: Request) -> Response:
        """Keep a kiosk's status (pending records, last sync error, store, disk) for the
        organisers' overview; read only after the token is checked, and only so much."""
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_STATUS_BODY:
                    return _json(
                        {"detail": f"body larger than {MAX_STATUS_BODY} bytes: not a status"}, 413
                    )
                chunks.append(chunk)
        except ClientDisconnect:
            return Response(status_code=400)
        return await run_in_threadpool(keep_status, b"".join(chunks))

    def keep_status(body: bytes) -> Response:
        try:
            message = StatusMessage.model_validate(json.loads(body))
        except (ValueError, RecursionError) as exc:  # ValidationError is a ValueError
            problems = (
                [
                    {"loc": ["body", *_safe_loc(e["loc"])], "msg": e["msg"], "type": e["type"]}
                    for e in exc.errors()[:10]
                ]
                if isinstance(exc, ValidationError)
                else [{"loc": ["body"], "msg": "not a JSON document", "type": "json"}]
            )
            log.warning("refused a status: %s", "; ".join(_where(p["loc"]) for p in problems))
            return _json({"detail": problems}, 422)
        try:
            save_status(storage, message)
        except CollectorBusy as exc:
            return busy(str(exc))
        return _json({"status": "ok"}, 200)

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


class DefinitionReply(BaseModel):
    survey_hash: str
    status: Literal["accepted", "duplicate"]


_SURVEY_HASH = re.compile(r"[0-9a-f]{64}\Z")


def _add_definitions_route(
    app: FastAPI,
    storage: CollectorStorage,
    slots: Admission,
    check_token: Callable[..., None],
    busy: Callable[[str], Response],
) -> None:
    """``PUT /v1/surveys/{survey_hash}``: keep a survey definition, once, under its hash."""

    def keep(survey_hash: str, body: bytes) -> Response:
        """Check and store one definition (in the thread pool: JSON and SQLite block)."""
        from kiosk.survey.loader import definition_hash
        from kiosk.survey.model import Survey
        from kiosk.survey.yaml_lines import data_text_problems

        if not _SURVEY_HASH.match(survey_hash):
            return _refused(
                ["path", "survey_hash"],
                "must be the survey's sha256 as 64 lowercase hex digits",
                "survey_hash",
            )
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return _refused(["body"], "not a JSON document", "json")
        if not isinstance(data, dict):
            return _refused(["body"], "a survey definition is a JSON object", "type")
        texts = data_text_problems(data)
        if texts:  # the survey file's own checks: no escapes or bidi controls, no huge texts
            where, message = texts[0]
            log.warning("refused a survey definition: %s", _where(_safe_loc(["body", *where])))
            return _refused(["body", *_safe_loc(list(where))], message, "unsafe_text")
        try:
            survey = Survey.model_validate(data)
            own_hash = definition_hash(data)
        except ValidationError as exc:
            problems = [
                {
                    "loc": ["body", *_safe_loc(error["loc"])],
                    "msg": error["msg"],
                    "type": error["type"],
                }
                for error in exc.errors()[:10]
            ]
            log.warning("refused a survey definition: %s", _where(problems[0]["loc"]))
            return _json({"detail": problems}, 422)
        except (UnicodeError, ValueError, RecursionError):
            return _refused(["body"], "holds characters that are not valid Unicode", "unicode")
        if own_hash != survey_hash:
            return _refused(
                ["path", "survey_hash"],
                "differs from the sha256 of the definition sent (kiosk.survey.loader."
                "definition_hash): send each definition under its own hash",
                "hash_mismatch",
            )
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        try:
            outcome = definitions.put_definition(storage.db, own_hash, survey.id, text)
        except CollectorBusy as exc:
            return busy(str(exc))
        log.info("survey %s definition %s: %s", _quoted(survey.id), own_hash[:12], outcome)
        if outcome == "conflict":
            return _json(
                {"detail": "another definition is stored under this hash; the stored one is kept"},
                409,
            )
        return _json({"survey_hash": own_hash, "status": outcome}, 200)

    @app.put(
        SURVEY_ROUTE,
        response_model=DefinitionReply,
        dependencies=[Depends(check_token)],
        responses={
            401: {"description": "Missing or wrong token"},
            409: {"description": "Another definition is stored under this hash: kept"},
            413: {"description": "Body over the collector's limit"},
            422: {"description": "Not a survey definition, or not of this hash"},
            503: {"description": "Busy: retry after Retry-After seconds"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    async def put_survey(survey_hash: str, request: Request) -> Response:
        """Keep the survey definition records of this hash were answered with
        (docs/sync-protocol.md). The same definition again is fine; another under a
        known hash is refused (409) and never overwrites it."""
        if not await slots.enter():
            return busy("too many concurrent requests")
        try:
            chunks = []
            try:
                async for chunk in request.stream():
                    chunks.append(chunk)
            except ClientDisconnect:
                return Response(status_code=400)
            return await run_in_threadpool(keep, survey_hash, b"".join(chunks))
        finally:
            slots.leave()


def _refused(loc: list[int | str], msg: str, kind: str) -> Response:
    return _json({"detail": [{"loc": loc, "msg": msg, "type": kind}]}, 422)


def shared_kiosk_id_warning(kiosk_id: str, stores: list[str]) -> str:
    """Words that name the cause when several data directories send under one kiosk id."""
    short = ", ".join(store[:8] for store in stores)
    return (
        f"{len(stores)} different data directories send records as kiosk {kiosk_id!r} "
        f"(store ids {short}); each kiosk needs its own id: give one of them a new id "
        "with kiosk init (or --kiosk-id) before the next event. Their records are all kept, "
        "but --verify cannot match either kiosk while they share the id."
    )


_NOT_UNICODE = "record: holds characters that are not valid Unicode"


def _record_problem(record: dict[str, Any], kiosk_id: str) -> str | None:
    """Why a record breaks the record schema (field names only, never values), or None.
    (Text that is not valid Unicode is found when the valid record is serialised.)"""
    try:
        RecordModel.model_validate(record)
    except ValidationError as exc:
        parts: dict[str, str] = {}
        for error in exc.errors():
            loc = _safe_loc(error["loc"])
            if loc[:1] == ["answers"] and len(loc) > 1:  # one line an answer, not one a type
                loc, msg = loc[:2], _answer_problem(error)
            else:
                msg = error["msg"]
            parts.setdefault(_where(loc), msg)
            if len(parts) == 5:
                break
        return "; ".join(f"{where}: {msg}" for where, msg in parts.items())
    except (UnicodeError, ValueError, RecursionError):
        return _NOT_UNICODE
    if record["kiosk_id"] != kiosk_id:
        return f"kiosk_id differs from the submission's kiosk_id {_quoted(kiosk_id)}"
    return None


def _answer_problem(error: Any) -> str:
    if error["type"] in ("slug", "unsafe_text", "string_too_long", "too_long"):
        return str(error["msg"])
    return (
        "an answer is a text (at most 1000 characters), true or false, a whole number, "
        "or a list of texts"
    )


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_:-]{1,64}\Z")


def _safe_loc(loc: tuple[int | str, ...] | list[int | str]) -> list[int | str]:
    """Where an error is, without echoing a sender's odd keys (they may be anything)."""
    return [p if isinstance(p, int) or _PLAIN_NAME.match(p) else "<key>" for p in loc]


def _where(loc: list[int | str]) -> str:
    return ".".join(str(p) for p in loc) or "record"


def _result_id(record: dict[str, Any]) -> str:
    """The id a result is filed under: the one sent, as the kiosk matches results by it."""
    value = record.get("id")
    return value if isinstance(value, str) else str(value)[:100]


def _quoted(value: str) -> str:
    """A sender's text as a JSON string: no line break, escape or odd character goes raw
    into a log line or a terminal."""
    return json.dumps(value, ensure_ascii=True)


def _json(payload: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    """ASCII JSON: a lone surrogate a sender put in an id comes back escaped, never a 500."""
    return Response(
        json.dumps(payload, ensure_ascii=True, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def _tally_text(tally: Counter[str]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(tally.items())) or "empty"
