"""Checks that relate one part of a survey file to another.

They read the raw YAML data defensively, so they still run (and report) when
other parts of the file are broken: an organiser sees every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]
FieldProblem = tuple[Path, str]

#: 0 to 10 is a common scale in Danish surveys: 11 points.
MAX_SCALE_POINTS = 11


def cross_checks(data: Any) -> Iterator[FieldProblem]:
    """Yield ``(path, message)`` for every cross-reference problem in a survey."""
    if not isinstance(data, dict):
        return
    yield from _duplicate_languages(data.get("languages"))
    questions = data.get("questions")
    if isinstance(questions, list):
        yield from _check_question_list(questions, ("questions",))
        yield from _one_contact_step(questions)
    ideas = data.get("ideas")
    if isinstance(ideas, dict):
        yield from _duplicate_ids(ideas.get("themes"), ("ideas", "themes"), "theme")
        if ideas.get("allow_contact") is True and not ideas.get("consent"):
            yield (
                ("ideas", "consent"),
                "is needed when allow_contact is true: say what is kept, why and for how long",
            )
        if isinstance(ideas.get("questions"), list):
            yield from _check_question_list(ideas["questions"], ("ideas", "questions"))
            for index, question in enumerate(ideas["questions"]):
                if isinstance(question, dict) and question.get("type") == "contact":
                    yield (
                        ("ideas", "questions", index, "type"),
                        "an idea card asks for contact with 'allow_contact: true', "
                        "not with a contact question",
                    )
            if isinstance(questions, list):
                yield from _shared_ids(questions, ideas["questions"])
    followup = data.get("followup")
    if isinstance(followup, dict) and isinstance(followup.get("url"), str):
        url = followup["url"]
        stripped = url.replace("{ref}", "")
        if "{" in stripped or "}" in stripped:
            yield ("followup", "url"), "the only placeholder a follow-up URL may hold is {ref}"


def _check_question_list(questions: list[Any], where: Path) -> Iterator[FieldProblem]:
    yield from _duplicate_ids(questions, where, "question")
    earlier: dict[str, dict[str, Any]] = {}
    all_ids = {q["id"] for q in questions if isinstance(q, dict) and isinstance(q.get("id"), str)}
    for index, question in enumerate(questions):
        if not isinstance(question, dict):
            continue
        path = (*where, index)
        yield from _check_ranges(question, path)
        if isinstance(question.get("choices"), list):
            yield from _duplicate_ids(question["choices"], (*path, "choices"), "choice")
        show_if = question.get("show_if")
        if isinstance(show_if, dict):
            own_id = question.get("id")
            yield from _check_show_if(show_if, (*path, "show_if"), earlier, all_ids, own_id)
        if isinstance(question.get("id"), str):
            earlier.setdefault(question["id"], question)


def _duplicate_ids(items: Any, where: Path, what: str) -> Iterator[FieldProblem]:
    if not isinstance(items, list):
        return
    seen: dict[Any, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        if item["id"] in seen:
            first = f"{where[-1]}[{seen[item['id']]}]"
            yield (
                (*where, index, "id"),
                f"duplicate {what} id {item['id']!r} (first used at {first})",
            )
        else:
            seen[item["id"]] = index


def _duplicate_languages(languages: Any) -> Iterator[FieldProblem]:
    """A language listed twice would give the visitor two identical language buttons."""
    if not isinstance(languages, list):
        return
    seen: dict[str, int] = {}
    for index, lang in enumerate(languages):
        if not isinstance(lang, str):
            continue
        if lang in seen:
            first = f"languages[{seen[lang]}]"
            yield ("languages", index), f"{lang!r} is listed twice (first at {first})"
        else:
            seen[lang] = index


def _shared_ids(questions: list[Any], idea_questions: list[Any]) -> Iterator[FieldProblem]:
    """An idea card's question may not reuse a survey question's id: answers are keyed by id."""
    survey_ids = {
        q["id"]: index
        for index, q in reversed(list(enumerate(questions)))
        if isinstance(q, dict) and isinstance(q.get("id"), str)
    }
    for index, question in enumerate(idea_questions):
        if not isinstance(question, dict) or not isinstance(question.get("id"), str):
            continue
        if question["id"] in survey_ids:
            first = survey_ids[question["id"]]
            yield (
                ("ideas", "questions", index, "id"),
                f"duplicate question id {question['id']!r} (first used at questions[{first}])",
            )


def _check_ranges(question: dict[str, Any], path: Path) -> Iterator[FieldProblem]:
    kind = question.get("type")
    low, high = question.get("min"), question.get("max")
    if kind == "scale":
        low = 1 if low is None else low
        high = 5 if high is None else high
    if _is_int(low) and _is_int(high):
        if low >= high:
            yield (*path, "min"), f"min ({low}) must be less than max ({high})"
        elif kind == "scale" and high - low + 1 > MAX_SCALE_POINTS:
            yield (
                (*path, "max"),
                f"a scale has at most {MAX_SCALE_POINTS} points; "
                f"{low}..{high} has {high - low + 1}",
            )
    choices = question.get("choices")
    max_choices = question.get("max_choices")
    if (
        kind == "multiple_choice"
        and _is_int(max_choices)
        and isinstance(choices, list)
        and max_choices > len(choices)
    ):
        yield (
            (*path, "max_choices"),
            f"max_choices ({max_choices}) is more than the {len(choices)} choices",
        )


def _check_show_if(
    show_if: dict[str, Any],
    path: Path,
    earlier: dict[str, dict[str, Any]],
    all_ids: set[Any],
    own_id: Any = None,
) -> Iterator[FieldProblem]:
    has_equals, has_in = "equals" in show_if, "in" in show_if
    if has_equals == has_in:
        yield path, "give exactly one of 'equals' or 'in'"
        return
    target_id = show_if.get("question")
    if not isinstance(target_id, str):
        return
    target = earlier.get(target_id)
    if target is None:
        if target_id == own_id:
            yield (*path, "question"), "refers to its own question; show_if may only look back"
        elif target_id in all_ids:
            yield (
                (*path, "question"),
                f"refers to {target_id!r}, which comes later; show_if may only look back",
            )
        else:
            yield (*path, "question"), f"refers to {target_id!r}, which is not a question here"
        return
    values = [show_if["equals"]] if has_equals else show_if.get("in")
    if not isinstance(values, list):
        return
    key = "equals" if has_equals else "in"
    for offset, value in enumerate(values):
        if isinstance(value, list | dict):
            continue  # not a value at all: the model reports that
        reason = _impossible_value(target, value)
        if reason:
            value_path = (*path, key) if has_equals else (*path, key, offset)
            yield value_path, f"{target_id!r} can never be {value!r}: {reason}"


def _impossible_value(question: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` is not an answer ``question`` can have, or None when it can."""
    kind = question.get("type")
    if kind in ("single_choice", "multiple_choice"):
        choices = question.get("choices") if isinstance(question.get("choices"), list) else []
        ids = list(dict.fromkeys(c.get("id") for c in choices if isinstance(c, dict)))
        if value not in ids:
            if not ids:
                return "it has no choices"
            return f"its choices are {', '.join(map(str, ids))}"
    elif kind == "yes_no":
        if not isinstance(value, bool):
            return "a yes/no answer is true or false"
    elif kind in ("scale", "number"):
        if not _is_int(value):
            return "its answer is a whole number"
        low, high = question.get("min"), question.get("max")
        if kind == "scale":
            low = 1 if low is None else low
            high = 5 if high is None else high
        if (_is_int(low) and value < low) or (_is_int(high) and value > high):
            return f"its answers range from {low} to {high}"
    elif kind == "text":
        if not isinstance(value, str):
            return "its answer is a text"
    elif kind == "info":
        return "an info screen has no answer"
    elif kind == "contact":
        return "a contact step's name and e-mail or phone are kept apart from the answers"
    return None


def _one_contact_step(questions: list[Any]) -> Iterator[FieldProblem]:
    """A record has one contact: a second contact question would overwrite the first."""
    first: int | None = None
    for index, question in enumerate(questions):
        if not isinstance(question, dict) or question.get("type") != "contact":
            continue
        if first is None:
            first = index
        else:
            yield (
                ("questions", index, "type"),
                f"a survey has at most one contact question (the first is questions[{first}])",
            )


#: Words of a question that asks for an e-mail address or a phone number.
_ASKS_FOR_CONTACT = re.compile(
    r"e-?mail|mailadresse|telefon|\btlf|mobilnummer|\bmobil\b|\bphone|\bmobile\b",
    re.IGNORECASE,
)
#: "Skip any question" / "spring alle spørgsmål over", in Danish or English.
_SKIP = re.compile(r"\bspring\w*\b.*\bover\b|\bskip", re.IGNORECASE | re.DOTALL)
_EVERY = re.compile(r"\b(alle|ethvert|enhver|hvert|any|every|all)\b", re.IGNORECASE)


def warning_checks(data: Any) -> Iterator[FieldProblem]:
    """Yield ``(path, message)`` for what is allowed but probably not meant.

    ``kiosk validate`` prints these as warnings; they never make a file invalid.
    """
    if not isinstance(data, dict):
        return
    lists: list[tuple[Path, Any]] = [(("questions",), data.get("questions"))]
    ideas = data.get("ideas")
    if isinstance(ideas, dict):
        lists.append((("ideas", "questions"), ideas.get("questions")))
    for where, questions in lists:
        if not isinstance(questions, list):
            continue
        for index, question in enumerate(questions):
            if not isinstance(question, dict):
                continue
            kind = question.get("type")
            if kind == "text" and _says(question, _ASKS_FOR_CONTACT):
                yield (
                    (*where, index, "text"),
                    "this looks like it asks for an e-mail or phone number: answers are "
                    "synced and exported to everyone; use a question of type 'contact', "
                    "which keeps them apart and asks for consent",
                )
            if kind == "info" and _says(question, _SKIP, _EVERY):
                later = [
                    q.get("id")
                    for q in questions[index + 1 :]
                    if isinstance(q, dict) and q.get("required") is True
                ]
                if later:
                    yield (
                        (*where, index, "help" if "help" in question else "text"),
                        f"says every question may be skipped, but {later[0]!r} after it "
                        "is required: change the text, or make the question optional",
                    )


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str)]
    return []


def _says(question: dict[str, Any], *patterns: re.Pattern[str]) -> bool:
    """Whether one of the question's texts (any language) matches every pattern."""
    texts = _texts(question.get("text")) + _texts(question.get("help"))
    return any(all(p.search(text) for p in patterns) for text in texts)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
