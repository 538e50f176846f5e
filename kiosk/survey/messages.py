"""Pydantic's validation errors as messages an organiser understands, at the field's path.

Pydantic locates errors in its own terms (type tags, union members, validator names);
:func:`problems_from` maps them back to the path in the file and words each one, with a
did-you-mean hint for misspelt keys and question types.
"""

from __future__ import annotations

import difflib
from functools import cache
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from kiosk.survey.model import QUESTION_TYPES, Survey
from kiosk.survey.yaml_lines import FieldPath


def _clean_loc(loc: tuple[Any, ...], data: Any, kind: str = "") -> FieldPath:
    """The path in the file of a pydantic error location.

    Pydantic adds parts that are not in the file: the question type after a question's
    index (the discriminator tag), validator names, and the member of a union that was
    tried (``str``, ``int``). They are dropped; so ``questions.0.text.id`` (a text
    question without an id) becomes ``questions[0].id``.
    """
    clean: list[str | int] = []
    here: Any = data
    missing = False
    tag_next = False  # right after a question's index, where pydantic puts the type tag
    for part in loc:
        at_tag, tag_next = tag_next, False
        if missing:
            clean.append(part)
        elif isinstance(here, dict):
            if at_tag and part in QUESTION_TYPES and here.get("type") == part:
                continue
            if part in here:
                clean.append(part)
                here = here[part]
            elif kind == "missing" or not isinstance(part, str):
                clean.append(part)  # a key that is missing here
                missing = True
            # else: a validator's name or the member of a union pydantic tried
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            tag_next = bool(clean) and clean[-1] == "questions"
            clean.append(part)
            here = here[part]
        elif isinstance(part, str):
            continue  # the member of a union pydantic tried on a value: 'str', 'int', ...
        else:
            clean.append(part)
            missing = True
    return tuple(clean)


def problems_from(exc: ValidationError, data: Any) -> list[tuple[FieldPath, str]]:
    """One ``(path, message)`` per place in the file, merging a union's alternatives."""
    grouped: dict[FieldPath, list[dict[str, Any]]] = {}
    for err in exc.errors():
        path = _clean_loc(err["loc"], data, err["type"])
        if err["type"] == "union_tag_invalid" and isinstance(_value_at(data, path), dict):
            path = (*path, "type")  # point at the line of the bad type
        grouped.setdefault(path, []).append(err)
    out: list[tuple[FieldPath, str]] = []
    for path, errors in grouped.items():
        alternatives = [_TYPE_NOUNS.get(err["type"]) for err in errors]
        if len(errors) > 1 and all(alternatives):
            names = list(dict.fromkeys(a for a in alternatives if a))
            joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            out.append((path, f"must be {joined}"))
            continue
        out.extend((path, message_for(err, data, path)) for err in errors)
    return out


#: What a value must be, for the type errors of union members.
_TYPE_NOUNS = {
    "string_type": "a text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true/false",
    "bool_parsing": "true/false",
    "none_required": "empty",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
}


# --- friendly messages -------------------------------------------------------------------


@cache
def _known_keys() -> tuple[str, ...]:
    """Every key the format knows, for did-you-mean hints where the model is not known."""
    keys: set[str] = set()
    for model in _submodels():
        keys.update(_keys_of(model))
    return tuple(sorted(keys))


def _submodels() -> list[type[BaseModel]]:
    from kiosk.survey import model as m

    return [
        value
        for value in vars(m).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
    ]


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model of the mapping at a pydantic location (with its question type tags)."""
    model: type[BaseModel] | None = Survey
    parts = list(loc)
    while parts and model is not None:
        part = parts.pop(0)
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        if part not in fields:
            return None
        model = _unwrap(fields[part].annotation, parts)
    return model


def _unwrap(annotation: Any, parts: list[Any]) -> type[BaseModel] | None:
    """The model inside ``annotation``, consuming list indexes and type tags from ``parts``."""
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0], parts)
    if origin is list:
        if not parts or not isinstance(parts[0], int):
            return None
        parts.pop(0)
        return _unwrap(get_args(annotation)[0], parts)
    if origin in (Union, UnionType):
        models = [
            m for m in get_args(annotation) if isinstance(m, type) and issubclass(m, BaseModel)
        ]
        if len(models) == 1:
            return models[0]
        if parts and parts[0] in QUESTION_TYPES:
            tag = parts.pop(0)
            for m in models:
                if tag in get_args(m.model_fields["type"].annotation):
                    return m
    return None


def message_for(err: dict[str, Any], data: Any = None, path: FieldPath = ()) -> str:
    """A message an organiser understands for one pydantic error."""
    kind = err["type"]
    if kind in _WORDED:
        return _WORDED[kind](err, data, path)
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in _WITH_LIMIT:
        template, key = _WITH_LIMIT[kind]
        return template.format((err.get("ctx") or {}).get(key, ""))
    return str(err["msg"])


#: Errors whose message is always the same.
_FIXED = {
    "missing": "is required but missing",
    "union_tag_not_found": f"every question needs a 'type': one of {', '.join(QUESTION_TYPES)}",
    "string_too_short": "must not be empty",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be a text",
    "str_type": "must be a text",
    "list_type": "must be a list (lines starting with '- ')",
    "model_type": "must be a mapping of fields (key: value lines)",
    "dict_type": "must be a mapping of fields (key: value lines)",
    "model_attributes_type": "must be a mapping of fields (key: value lines)",
}

#: Errors that name a limit: the message and the key of the limit in the error's context.
_WITH_LIMIT = {
    "too_long": ("is too long: at most {}", "max_length"),
    "string_too_long": ("is too long: at most {} characters", "max_length"),
    "greater_than_equal": ("must be at least {}", "ge"),
    "greater_than": ("must be more than {}", "gt"),
    "less_than_equal": ("must be at most {}", "le"),
    "less_than": ("must be less than {}", "lt"),
}

#: What a field of a given name must look like, for a pattern mismatch.
_PATTERN_HINTS = {
    "id": "must be a slug: lowercase letters, digits, '-' and '_' (for example 'age-group')",
    "question": "must be a slug: lowercase letters, digits, '-' and '_' (for example 'age-group')",
    "url": "must be an http:// or https:// address",
    "ref_prefix": "must be 1 to 4 capital letters, for example GM",
}


def _unknown_key(err: dict[str, Any], data: Any, path: FieldPath) -> str:
    loc = err["loc"]
    key = str(loc[-1]) if loc else ""
    model = _model_at(loc[:-1])
    keys = _keys_of(model) if model else _known_keys()
    hint = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    if hint:
        return f"unknown key {key!r} (did you mean {hint[0]!r}?)"
    if model is not None:
        return f"unknown key {key!r}; the keys here are {', '.join(keys)}"
    return f"unknown key {key!r}"


def _unknown_type(err: dict[str, Any], data: Any, path: FieldPath) -> str:
    tag = _value_at(data, path) if path and path[-1] == "type" else None
    known = ", ".join(QUESTION_TYPES)
    if not isinstance(tag, str):
        return f"'type' must be one of {known}"
    hint = difflib.get_close_matches(tag, QUESTION_TYPES, n=1, cutoff=0.5)
    return f"unknown question type {tag!r}" + (
        f" (did you mean {hint[0]!r}?)" if hint else f"; the types are {known}"
    )


def _empty_list(err: dict[str, Any], data: Any, path: FieldPath) -> str:
    last = path[-1] if path else ""
    if last in ("choices", "themes", "questions", "languages"):
        return f"must list at least one {str(last).rstrip('s')}"
    return "must list at least one value"


def _wrong_form(err: dict[str, Any], data: Any, path: FieldPath) -> str:
    if len(path) >= 2 and path[-2] == "languages":
        return "must be a language code of 2 or 3 lowercase letters, for example da or en"
    hint = _PATTERN_HINTS.get(str(path[-1])) if path else None
    return hint or f"does not have the expected form ({(err.get('ctx') or {}).get('pattern', '')})"


def _not_allowed(err: dict[str, Any], data: Any, path: FieldPath) -> str:
    if path and path[-1] == "required":
        question = _value_at(data, path[:-1])
        if isinstance(question, dict) and question.get("type") == "contact":
            return "a visitor may always say no to being contacted, so it cannot be required"
        return "an info screen has no answer, so it cannot be required"
    return f"must be {(err.get('ctx') or {}).get('expected', 'one of the allowed values')}"


#: Errors whose message depends on the field or the value, each worded by a function.
_WORDED = {
    "extra_forbidden": _unknown_key,
    "union_tag_invalid": _unknown_type,
    "too_short": _empty_list,
    "string_pattern_mismatch": _wrong_form,
    "literal_error": _not_allowed,
}


def _value_at(data: Any, path: FieldPath) -> Any:
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
        else:
            return None
    return data
