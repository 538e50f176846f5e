"""``POST /v1/status``: a kiosk's status (pending records, last sync error, store, disk) for
the organisers' overview, sent beside the background sync (docs/sync-protocol.md)."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kiosk.collector.api.deps import UNAUTHORISED, busy, check_token, get_api, read_body
from kiosk.collector.api.health import Health
from kiosk.collector.api.replies import json_reply, problems_of, where
from kiosk.collector.kiosk_status import MAX_STATUS_BODY, StatusMessage, save_status
from kiosk.collector.storage import CollectorBusy, CollectorStorage
from kiosk.sync.protocol import STATUS_PATH

log = logging.getLogger("kiosk.collector")

router = APIRouter(dependencies=[Depends(check_token)])


@router.post(
    STATUS_PATH,
    response_model=Health,
    responses={
        **UNAUTHORISED,
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
    body = await read_body(request, MAX_STATUS_BODY, "a status")
    if isinstance(body, Response):
        return body
    return await run_in_threadpool(keep_status, get_api(request).storage, body)


def keep_status(storage: CollectorStorage, body: bytes) -> Response:
    try:
        message = StatusMessage.model_validate(json.loads(body))
    except ValidationError as exc:
        problems = problems_of(exc)
    except (ValueError, RecursionError):
        problems = [{"loc": ["body"], "msg": "not a JSON document", "type": "json"}]
    else:
        try:
            save_status(storage, message)
        except CollectorBusy as exc:
            return busy(str(exc))
        return json_reply({"status": "ok"}, 200)
    log.warning("refused a status: %s", "; ".join(where(p["loc"]) for p in problems))
    return json_reply({"detail": problems}, 422)
