"""``GET /v1/kiosks/{kiosk_id}/digest``: what ``kiosk sync --verify`` compares with its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from kiosk.collector.api.deps import ApiState, check_token, get_api
from kiosk.collector.storage import CollectorBusy
from kiosk.sync.protocol import DIGEST_ROUTE

router = APIRouter(dependencies=[Depends(check_token)])


class KioskDigest(BaseModel):
    kiosk_id: str
    count: int
    sha256: str
    stores: int


@router.get(DIGEST_ROUTE, response_model=KioskDigest)
def digest(kiosk_id: str, api: Annotated[ApiState, Depends(get_api)]) -> dict[str, Any]:
    """How many records of this kiosk are stored, and a sha256 over their sorted ids."""
    try:
        found = api.storage.digest(kiosk_id)
    except CollectorBusy:
        raise HTTPException(503, "collector busy", {"Retry-After": "1"}) from None
    return {
        "kiosk_id": found.kiosk_id,
        "count": found.count,
        "sha256": found.sha256,
        "stores": found.stores,
    }
