"""Writers for exported records, shared by ``kiosk export`` and the collector's export.

Exports leave out the kiosk's local-only fields always, and contact details
unless the caller passes them in (``--include-contact``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from kiosk.records import public_view

#: Fixed columns of a CSV export, before one column per question.
BASE_COLUMNS = (
    "id",
    "kind",
    "survey_id",
    "survey_version",
    "kiosk_id",
    "lang",
    "started_at",
    "submitted_at",
    "completed",
    "suspect",
    "ref",
)
IDEA_COLUMNS = ("idea_theme", "idea_title", "idea_description")
CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_phone")

#: A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_jsonl(
    records: Iterable[Mapping[str, Any]],
    out: TextIO,
    contacts: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Write one record a line, as stored, without local-only fields; returns the count."""
    count = 0
    for record in records:
        row = public_view(dict(record))
        if contacts is not None and record["id"] in contacts:
            row["contact"] = _contact_fields(contacts[record["id"]])
        out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


def question_columns(
    records: Sequence[Mapping[str, Any]], survey_order: Sequence[str] = ()
) -> list[str]:
    """Question ids in the survey's order, then any others in order of first appearance."""
    columns = list(dict.fromkeys(survey_order))
    seen = set(columns)
    for record in records:
        for question_id in record.get("answers", {}):
            if question_id not in seen:
                seen.add(question_id)
                columns.append(question_id)
    return columns


def export_csv(
    records: Iterable[Mapping[str, Any]],
    out: TextIO,
    survey_order: Sequence[str] = (),
    contacts: Mapping[str, Mapping[str, Any]] | None = None,
    delimiter: str = ",",
) -> int:
    """Write one row per record and one column per question id; returns the count.

    Multiple answers are joined with ``;``. Cells that a spreadsheet would run as
    a formula are prefixed with ``'`` (visitors' text must never execute).
    ``delimiter=";"`` is what Danish Excel expects (its decimal separator is a comma).
    """
    rows = list(records)
    questions = question_columns(rows, survey_order)
    has_ideas = any(r.get("kind") == "idea" for r in rows)
    header = [
        *BASE_COLUMNS,
        *(IDEA_COLUMNS if has_ideas else ()),
        *questions,
        *(CONTACT_COLUMNS if contacts is not None else ()),
    ]
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([_cell(name) for name in header])  # keys come from senders too
    for record in rows:
        cells: list[Any] = [record.get(column) for column in BASE_COLUMNS]
        if has_ideas:
            idea = record.get("idea") or {}
            cells += [idea.get("theme"), idea.get("title"), idea.get("description")]
        answers = record.get("answers", {})
        cells += [answers.get(question_id) for question_id in questions]
        if contacts is not None:
            contact = _contact_fields(contacts.get(record["id"], {}))
            cells += [contact.get("name"), contact.get("email"), contact.get("phone")]
        writer.writerow([_cell(value) for value in cells])
    return len(rows)


def _contact_fields(contact: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in contact.items() if k in ("name", "email", "phone") and v}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
