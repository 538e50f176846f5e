"""``POST /v1/submissions``: a batch of records from one kiosk, each checked against the record
schema and stored once (the record id keeps a re-send from counting twice), committed before
the reply leaves."""

from __future__ import annotations

import json
import logging
from collections import Counter
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.collector.api.deps import UNAUTHORISED, admitted, busy, check_token, get_api
from kiosk.collector.api.replies import (
    json_reply,
    not_json,
    problems_of,
    quoted,
    safe_loc,
    where,
)
from kiosk.collector.schema import KioskId, RecordModel
from kiosk.collector.storage import CollectorBusy, CollectorStorage, Row, prepare_row
from kiosk.records import now_iso
from kiosk.sync.protocol import SUBMISSIONS_PATH, RecordResult

log = logging.getLogger("kiosk.collector")

router = APIRouter(dependencies=[Depends(check_token)])

_NOT_UNICODE = "record: holds characters that are not valid Unicode"


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


@router.post(
    SUBMISSIONS_PATH,
    response_model=SubmissionReply,
    response_model_exclude_none=True,
    responses={
        **UNAUTHORISED,
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
    """Store a batch; one result per record, committed before this reply is sent."""
    work = partial(store, get_api(request).storage)
    return await admitted(request, work, "submissions")


def store(storage: CollectorStorage, body: bytes) -> Response:
    """Parse, check and store one submission (in the thread pool: JSON and SQLite block)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past reason
        return not_json()
    try:
        submission = Submission.model_validate(data)
    except ValidationError as exc:
        problems = problems_of(exc)
        log.warning("refused a submission: %s", "; ".join(where(p["loc"]) for p in problems))
        return json_reply({"detail": problems}, 422)
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
    log.info("kiosk %s: %s", quoted(submission.kiosk_id), _tally_text(tally))
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
                quoted(submission.kiosk_id),
                len(stores),
            )
    return json_reply(reply, 200)


def shared_kiosk_id_warning(kiosk_id: str, stores: list[str]) -> str:
    """Words that name the cause when several data directories send under one kiosk id."""
    short = ", ".join(store[:8] for store in stores)
    return (
        f"{len(stores)} different data directories send records as kiosk {kiosk_id!r} "
        f"(store ids {short}); each kiosk needs its own id: give one of them a new id "
        "with kiosk init (or --kiosk-id) before the next event. Their records are all kept, "
        "but --verify cannot match either kiosk while they share the id."
    )


def _record_problem(record: dict[str, Any], kiosk_id: str) -> str | None:
    """Why a record breaks the record schema (field names only, never values), or None.
    (Text that is not valid Unicode is found when the valid record is serialised.)"""
    try:
        RecordModel.model_validate(record)
    except ValidationError as exc:
        parts: dict[str, str] = {}
        for error in exc.errors():
            loc = safe_loc(error["loc"])
            if loc[:1] == ["answers"] and len(loc) > 1:  # one line an answer, not one a type
                loc, msg = loc[:2], _answer_problem(error)
            else:
                msg = error["msg"]
            parts.setdefault(where(loc), msg)
            if len(parts) == 5:
                break
        return "; ".join(f"{at}: {msg}" for at, msg in parts.items())
    except (UnicodeError, ValueError, RecursionError):
        return _NOT_UNICODE
    if record["kiosk_id"] != kiosk_id:
        return f"kiosk_id differs from the submission's kiosk_id {quoted(kiosk_id)}"
    return None


def _answer_problem(error: Any) -> str:
    if error["type"] in ("slug", "unsafe_text", "string_too_long", "too_long"):
        return str(error["msg"])
    return (
        "an answer is a text (at most 1000 characters), true or false, a whole number, "
        "or a list of texts"
    )


def _result_id(record: dict[str, Any]) -> str:
    """The id a result is filed under: the one sent, as the kiosk matches results by it."""
    value = record.get("id")
    return value if isinstance(value, str) else str(value)[:100]


def _tally_text(tally: Counter[str]) -> str:
    return ", ".join(f"{count} {status}" for status, count in sorted(tally.items())) or "empty"
