"""What a saved record looks like: made on the kiosk, stored locally, synced and exported.

A record is a plain dict (that is what TinyDB stores and what goes over the wire);
:class:`RecordModel` is its schema, used by the collector to reject what does not
follow it and by tests to check what the kiosk writes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: Fields only the kiosk keeps: never sent, never exported.
LOCAL_FIELDS = frozenset({"synced_at", "sync_status", "sync_error"})

AnswerValue = str | bool | int | list[str]
IsoTime = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")
]


def now_iso() -> str:
    """The current time in UTC as ISO 8601, the form every record time has."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_record_id() -> str:
    """A UUID4 made on the kiosk: the key that makes sync idempotent."""
    return str(uuid.uuid4())


class IdeaContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme: str
    title: Annotated[str, Field(min_length=1, max_length=80)]
    description: Annotated[str, Field(max_length=1000)] = ""


class RecordModel(BaseModel):
    """The record schema: what every kiosk sends and the collector accepts."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[
        str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    ]
    kind: Literal["response", "idea"]
    survey_id: Annotated[str, Field(min_length=1, max_length=64)]
    survey_version: Annotated[int, Field(ge=1)]
    survey_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    kiosk_id: Annotated[str, Field(min_length=1, max_length=64)]
    lang: Annotated[str, Field(min_length=2, max_length=3)]
    started_at: IsoTime
    submitted_at: IsoTime
    completed: bool
    answers: dict[str, AnswerValue]
    suspect: bool = False
    ref: str | None = None
    idea: IdeaContent | None = None


def new_record(
    *,
    kind: Literal["response", "idea"],
    survey_id: str,
    survey_version: int,
    survey_hash: str,
    kiosk_id: str,
    lang: str,
    started_at: str,
    completed: bool,
    answers: dict[str, AnswerValue],
    submitted_at: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A new record with a fresh id, ready for :meth:`RecordStore.save`."""
    record: dict[str, Any] = {
        "id": new_record_id(),
        "kind": kind,
        "survey_id": survey_id,
        "survey_version": survey_version,
        "survey_hash": survey_hash,
        "kiosk_id": kiosk_id,
        "lang": lang,
        "started_at": started_at,
        "submitted_at": submitted_at or now_iso(),
        "completed": completed,
        "answers": dict(answers),
    }
    record.update({k: v for k, v in extra.items() if v is not None})
    return record


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    """The record as sent and exported: without the kiosk's local-only fields."""
    return {k: v for k, v in record.items() if k not in LOCAL_FIELDS}
