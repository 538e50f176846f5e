"""The API's JSON replies: ASCII, and naming where a body is wrong without echoing what a
sender wrote (a visitor's words, or anything a hostile sender put in a key)."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.responses import Response
from pydantic import ValidationError

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_:-]{1,64}\Z")


def json_reply(payload: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    """ASCII JSON: a lone surrogate a sender put in an id comes back escaped, never a 500."""
    return Response(
        json.dumps(payload, ensure_ascii=True, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def refused(loc: list[int | str], msg: str, kind: str) -> Response:
    """422 with one problem."""
    return json_reply({"detail": [{"loc": loc, "msg": msg, "type": kind}]}, 422)


def not_json() -> Response:
    return refused(["body"], "not a JSON document", "json")


def problems_of(exc: ValidationError) -> list[dict[str, Any]]:
    """The first ten problems of a body pydantic refused, each located under ``body``."""
    return [
        {"loc": ["body", *safe_loc(error["loc"])], "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()[:10]
    ]


def safe_loc(loc: tuple[int | str, ...] | list[int | str]) -> list[int | str]:
    """Where an error is, without echoing a sender's odd keys (they may be anything)."""
    return [p if isinstance(p, int) or _PLAIN_NAME.match(p) else "<key>" for p in loc]


def where(loc: list[int | str]) -> str:
    return ".".join(str(p) for p in loc) or "record"


def quoted(value: str) -> str:
    """A sender's text as a JSON string: no line break, escape or odd character goes raw
    into a log line or a terminal."""
    return json.dumps(value, ensure_ascii=True)
