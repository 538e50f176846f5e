"""Whether a record's answers fit the survey they were given to.

Used twice: the kiosk checks every record before it saves it (a faulty answer is left out,
logged and counted, never saved), and ``kiosk stats`` / ``kiosk export --drop-misfits``
find records saved before that check existed. An answer fits when its question exists,
is not an info screen, was shown (its ``show_if`` held with the answers that fit before
it), and the value has the question's type and range. The reasons never quote the value:
it is the visitor's, and reasons go to logs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def answer_problem(question: Any, value: Any) -> str | None:
    """Why ``value`` is not an answer to ``question`` (a short reason), or None if it is."""
    kind = question.type
    if kind == "info":
        return "an info screen has no answer"
    if kind == "single_choice":
        if not isinstance(value, str):
            return "a single choice must be one choice id"
        if value not in _choice_ids(question):
            return "not one of the question's choice ids"
        return None
    if kind == "multiple_choice":
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            return "a multiple choice must be a list of choice ids"
        if len(set(value)) != len(value):
            return "a choice id is given twice"
        if not set(value) <= _choice_ids(question):
            return "not one of the question's choice ids"
        if question.max_choices is not None and len(value) > question.max_choices:
            return f"more than {question.max_choices} choices"
        return None
    if kind == "yes_no":
        return None if isinstance(value, bool) else "a yes/no answer must be true or false"
    if kind in ("scale", "number"):
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be a whole number"
        low, high = question.min, question.max
        if (low is not None and value < low) or (high is not None and value > high):
            return f"outside {'' if low is None else low}..{'' if high is None else high}"
        return None
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return "a text answer must be a text that is not empty"
        if len(value) > question.max_length:
            return f"longer than {question.max_length} characters"
        return None
    return f"unknown question type {kind!r}"


def shown(question: Any, answers: Mapping[str, Any]) -> bool:
    """Whether ``question`` is shown, given the answers before it (its ``show_if``).

    The same rule as the visit flow's :meth:`kiosk.app.flow.QuestionStep.visible`.
    """
    return question.shown_with(answers)


def misfits(questions: Sequence[Any], answers: Mapping[str, Any]) -> dict[str, str]:
    """Question id -> reason, for every answer that does not fit ``questions`` (in order)."""
    problems: dict[str, str] = {}
    fitting: dict[str, Any] = {}
    known = set()
    for question in questions:
        known.add(question.id)
        if question.id not in answers:
            continue
        value = answers[question.id]
        if not shown(question, fitting):
            problems[question.id] = "its question was not shown (show_if did not hold)"
            continue
        reason = answer_problem(question, value)
        if reason is not None:
            problems[question.id] = reason
        else:
            fitting[question.id] = value
    for key in answers:
        if key not in known:
            problems[key] = "no such question in the survey"
    return problems


def record_questions(survey: Any, kind: str) -> list[Any]:
    """The questions a record's ``answers`` answer: the survey's, or its idea card's."""
    if kind == "idea":
        return list(survey.ideas.questions) if survey.ideas is not None else []
    return list(survey.questions)


def record_misfits(survey: Any, record: Mapping[str, Any]) -> dict[str, str]:
    """Question id -> reason for each answer of a stored record that does not fit."""
    answers = record.get("answers") or {}
    if not isinstance(answers, Mapping):
        return {"answers": "not a mapping of question id to answer"}
    return misfits(record_questions(survey, str(record.get("kind", "response"))), answers)


def records_that_misfit(
    records: Sequence[Mapping[str, Any]], surveys: Sequence[Any]
) -> tuple[list[tuple[Mapping[str, Any], dict[str, str]]], int]:
    """Records whose answers do not fit their survey, each with its reasons, and how many
    records could not be checked (their survey id and version are not among ``surveys``:
    a later version may have other choices, so it is not a judge of the older records)."""
    by_key = {(s.id, s.version): s for s in surveys}
    found: list[tuple[Mapping[str, Any], dict[str, str]]] = []
    unchecked = 0
    for record in records:
        survey = by_key.get((record.get("survey_id"), record.get("survey_version")))
        if survey is None:
            unchecked += 1
            continue
        problems = record_misfits(survey, record)
        if problems:
            found.append((record, problems))
    return found, unchecked


def _choice_ids(question: Any) -> set[str]:
    return {c.id for c in question.choices}
