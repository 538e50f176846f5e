"""What a saved record looks like: made on the kiosk, stored locally, synced and exported.

A record is a plain dict (that is what TinyDB stores and what goes over the wire). Its
schema, :class:`kiosk.collector.schema.RecordModel`, lives with the collector that alone
enforces it, so the kiosk's cold start never imports pydantic for a record.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

#: What the collector made of a submitted record (its reply, and a record's ``sync_status``).
#: The first two mean "the collector holds this record"; the others flag it, kept on the kiosk.
ResultStatus = Literal["accepted", "duplicate", "conflict", "invalid"]
STORED_STATUSES: frozenset[ResultStatus] = frozenset({"accepted", "duplicate"})
REJECTED_STATUSES: frozenset[ResultStatus] = frozenset({"conflict", "invalid"})

#: Every record ``kiosk simulate`` makes has a kiosk id starting with this: a rehearsal's
#: records are recognisable in stats, exports and at the collector.
REHEARSAL_PREFIX = "rehearsal-"

#: Fields only the kiosk keeps: never sent, never exported.
LOCAL_FIELDS = frozenset({"synced_at", "sync_status", "sync_error"})

AnswerValue = str | bool | int | list[str]

#: Limits of what a kiosk can make: the collector refuses anything beyond them.
TEXT_MAX_LENGTH = 1000
TITLE_MAX_LENGTH = 80
MAX_ANSWERS = 200
MAX_LIST_ITEMS = 100
#: Numbers a visitor can type (the kiosk's number field holds 9 characters), with room.
MAX_NUMBER = 2**53 - 1


def now_iso() -> str:
    """The current time in UTC as ISO 8601, the form every record time has."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str | None) -> datetime | None:
    """A record time (ISO 8601, ``Z`` or an offset) as a datetime; None when missing or
    unreadable. Naive when the text has no offset: the caller decides what that means."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def new_record_id() -> str:
    """A UUID4 made on the kiosk: the key that makes sync idempotent."""
    return str(uuid.uuid4())


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
