"""``PUT /v1/surveys/{survey_hash}``: keep the survey definition records of this hash were
answered with, once, under its hash (docs/sync-protocol.md)."""

from __future__ import annotations

import json
import logging
import re
from functools import partial
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from kiosk.collector import definitions
from kiosk.collector.api.deps import UNAUTHORISED, admitted, busy, check_token, get_api
from kiosk.collector.api.replies import (
    json_reply,
    not_json,
    problems_of,
    quoted,
    refused,
    safe_loc,
    where,
)
from kiosk.collector.storage import CollectorBusy, CollectorStorage
from kiosk.sync.protocol import SURVEY_ROUTE

log = logging.getLogger("kiosk.collector")

router = APIRouter(dependencies=[Depends(check_token)])

_SURVEY_HASH = re.compile(r"[0-9a-f]{64}\Z")


class DefinitionReply(BaseModel):
    survey_hash: str
    status: Literal["accepted", "duplicate"]


@router.put(
    SURVEY_ROUTE,
    response_model=DefinitionReply,
    responses={
        **UNAUTHORISED,
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
    work = partial(keep, get_api(request).storage, survey_hash)
    return await admitted(request, work, "requests")


def keep(storage: CollectorStorage, survey_hash: str, body: bytes) -> Response:
    """Check and store one definition (in the thread pool: JSON and SQLite block)."""
    from kiosk.survey.loader import definition_hash
    from kiosk.survey.model import Survey
    from kiosk.survey.yaml_lines import data_text_problems

    if not _SURVEY_HASH.match(survey_hash):
        return refused(
            ["path", "survey_hash"],
            "must be the survey's sha256 as 64 lowercase hex digits",
            "survey_hash",
        )
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return not_json()
    if not isinstance(data, dict):
        return refused(["body"], "a survey definition is a JSON object", "type")
    texts = data_text_problems(data)
    if texts:  # the survey file's own checks: no escapes or bidi controls, no huge texts
        at, message = texts[0]
        log.warning("refused a survey definition: %s", where(safe_loc(["body", *at])))
        return refused(["body", *safe_loc(list(at))], message, "unsafe_text")
    try:
        survey = Survey.model_validate(data)
        own_hash = definition_hash(data)
    except ValidationError as exc:
        problems = problems_of(exc)
        log.warning("refused a survey definition: %s", where(problems[0]["loc"]))
        return json_reply({"detail": problems}, 422)
    except (UnicodeError, ValueError, RecursionError):
        return refused(["body"], "holds characters that are not valid Unicode", "unicode")
    if own_hash != survey_hash:
        return refused(
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
    log.info("survey %s definition %s: %s", quoted(survey.id), own_hash[:12], outcome)
    if outcome == "conflict":
        return json_reply(
            {"detail": "another definition is stored under this hash; the stored one is kept"},
            409,
        )
    return json_reply({"survey_hash": own_hash, "status": outcome}, 200)
