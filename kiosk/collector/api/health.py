"""``GET /v1/health``: is this a live collector? No token needed."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from kiosk.sync.protocol import HEALTH_PATH

router = APIRouter()


class Health(BaseModel):
    status: Literal["ok"]


@router.get(HEALTH_PATH, response_model=Health)
def health() -> dict[str, str]:
    """Is this a live collector? No token needed."""
    return {"status": "ok"}
