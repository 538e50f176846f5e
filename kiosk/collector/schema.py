"""The record schema the collector enforces on everything a kiosk sends.

Strict: no coercion (``"1"`` is not a version, ``1`` is not ``true``), ids in the forms of
:mod:`kiosk.ids`, texts bounded and free of what the kiosk's sanitising removes. The limits
are the kiosk's own (:mod:`kiosk.records`), so a kiosk never makes what the collector refuses.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)
from pydantic_core import PydanticCustomError

from kiosk.ids import LANG_PATTERN, SLUG_MAX_LENGTH, is_slug, kiosk_id_problem
from kiosk.records import (
    MAX_ANSWERS,
    MAX_LIST_ITEMS,
    MAX_NUMBER,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)

_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|\+00:00)\Z"
)
# What the kiosk's clean_text never leaves in a text: C0 controls (a line break only in
# multi-line texts), DEL and C1, line/paragraph separators, bidi controls, lone surrogates.
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_TEXT = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_REF = re.compile(r"[A-Z]{1,4}-[2-9A-Z]{4,12}\Z")


def _check_time(value: str) -> str:
    """A real UTC date and time in the kiosk's form, not just digits in the right places."""
    if not _TIME.match(value):
        raise PydanticCustomError(
            "iso_time", "must be an ISO 8601 UTC time like 2026-09-05T10:00:00.000Z"
        )
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PydanticCustomError("iso_time", "is not a real date and time") from None
    return value


def _check_slug(value: str) -> str:
    if not is_slug(value):
        raise PydanticCustomError(
            "slug",
            "must be 1 to {max} lowercase letters and digits joined by - or _",
            {"max": SLUG_MAX_LENGTH},
        )
    return value


def _check_kiosk_id(value: str) -> str:
    problem = kiosk_id_problem(value)
    if problem:
        raise PydanticCustomError("kiosk_id", problem)
    return value


def _check_line(value: str) -> str:
    if _UNSAFE_LINE.search(value):
        raise PydanticCustomError(
            "unsafe_text", "holds control, bidirectional or invalid characters"
        )
    return value


def _check_text(value: str) -> str:
    if _UNSAFE_TEXT.search(value):
        raise PydanticCustomError(
            "unsafe_text", "holds control, bidirectional or invalid characters"
        )
    return value


def _check_ref(value: str) -> str:
    if not _REF.match(value):
        raise PydanticCustomError("ref", "must be a reference code like GM-7K3Q")
    return value


IsoTime = Annotated[StrictStr, AfterValidator(_check_time)]
Slug = Annotated[StrictStr, AfterValidator(_check_slug)]
KioskId = Annotated[StrictStr, AfterValidator(_check_kiosk_id)]
Lang = Annotated[StrictStr, Field(pattern=LANG_PATTERN)]
#: Visitor text: a kiosk stores it cleaned (kiosk.sanitize), so anything else was not made by one.
Text = Annotated[StrictStr, Field(max_length=TEXT_MAX_LENGTH), AfterValidator(_check_text)]
Number = Annotated[StrictInt, Field(ge=-MAX_NUMBER, le=MAX_NUMBER)]
StrictAnswer = Annotated[
    Text | StrictBool | Number | Annotated[list[Text], Field(max_length=MAX_LIST_ITEMS)],
    Field(union_mode="left_to_right"),
]


class IdeaContent(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    theme: Slug
    title: Annotated[
        StrictStr, Field(min_length=1, max_length=TITLE_MAX_LENGTH), AfterValidator(_check_line)
    ]
    description: Text = ""


class RecordModel(BaseModel):
    """The record schema: what every kiosk sends and the collector accepts.

    Strict: no coercion (``"1"`` is not a version, ``1`` is not ``true``), ids in the forms of
    :mod:`kiosk.ids`, texts bounded and free of what the kiosk's sanitising removes.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[
        StrictStr,
        Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
    ]
    kind: Literal["response", "idea"]
    survey_id: Slug
    survey_version: Annotated[StrictInt, Field(ge=1, le=MAX_NUMBER)]
    survey_hash: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]
    kiosk_id: KioskId
    lang: Lang
    started_at: IsoTime
    submitted_at: IsoTime
    completed: StrictBool
    answers: Annotated[dict[Slug, StrictAnswer], Field(max_length=MAX_ANSWERS)]
    suspect: StrictBool = False
    ref: Annotated[StrictStr, AfterValidator(_check_ref)] | None = None
    idea: IdeaContent | None = None
