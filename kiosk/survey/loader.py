"""Read a survey file and report every problem in it as ``FILE:LINE: path: what is wrong``."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from kiosk.survey.checks import cross_checks
from kiosk.survey.model import QUESTION_TYPES, Survey

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a survey file, located by line and field path."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


@dataclass
class Report:
    """The result of validating one file: a survey, or the problems that stop it."""

    file: str
    survey: Survey | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.survey is not None and not self.problems

    def summary(self) -> str:
        """The one line ``kiosk validate`` prints for a valid file."""
        assert self.survey is not None
        s = self.survey
        parts = [
            f"{len(s.questions)} questions",
            f"languages {', '.join(s.languages)}",
        ]
        if s.ideas:
            parts.append(f"idea cards with {len(s.ideas.themes)} themes")
        if s.followup:
            parts.append("follow-up QR code")
        return f"{self.file}: ok: {s.id} v{s.version}, " + ", ".join(parts)


class SurveyError(Exception):
    """Raised by :func:`load_survey` for a file with problems; ``str()`` lists them all."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__("\n".join(str(p) for p in report.problems))


def load_survey(path: str | Path) -> Survey:
    """The valid survey in ``path``; raises :class:`SurveyError` listing every problem."""
    report = validate_file(path)
    if not report.ok:
        raise SurveyError(report)
    assert report.survey is not None
    return report.survey


def validate_file(path: str | Path) -> Report:
    """Validate one file; never raises for anything wrong with the file itself."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return _single(name, 1, "", "no such file")
    except UnicodeDecodeError as exc:
        return _single(
            name, 1, "", f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})"
        )
    except OSError as exc:
        return _single(name, 1, "", f"cannot read the file: {exc.strerror}")
    return validate_text(text, name)


def validate_text(text: str, name: str = "<survey>") -> Report:
    """Validate survey YAML given as text (``name`` is used in messages)."""
    try:
        data, lines, duplicate_keys = _parse(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "not valid YAML"
        return _single(name, line, "", f"YAML syntax error at column {column}: {what}")
    except yaml.YAMLError as exc:
        return _single(name, 1, "", f"YAML error: {exc}")

    report = Report(file=name)
    located = _Locator(name, lines)
    if not isinstance(data, dict):
        report.problems.append(
            located((), "a survey file is a mapping of fields (id:, version:, title:, ...)")
        )
        return report

    for path in duplicate_keys:
        report.problems.append(
            located(path, "this key appears twice; the second would silently win")
        )

    languages = data.get("languages")
    context = {"languages": languages} if _is_language_list(languages) else {}
    survey: Survey | None = None
    try:
        survey = Survey.model_validate(data, context=context)
    except ValidationError as exc:
        report.problems.extend(
            located(_clean_loc(err["loc"], data), _message(err)) for err in exc.errors()
        )
    report.problems.extend(located(path, message) for path, message in cross_checks(data))
    report.problems.sort(key=lambda p: p.line)
    if not report.problems:
        report.survey = survey
    return report


def survey_hash(survey: Survey) -> str:
    """sha256 of the survey's content, independent of comments and layout in its file."""
    canonical = json.dumps(
        survey.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _single(name: str, line: int, path: str, message: str) -> Report:
    return Report(file=name, problems=[Problem(name, line, path, message)])


def _is_language_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


# --- YAML with line numbers ----------------------------------------------------------------


def _parse(text: str) -> tuple[Any, dict[FieldPath, int], list[FieldPath]]:
    """Parse YAML, returning the data, the line of every field path, and duplicated keys."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[FieldPath, int] = {}
    duplicates: list[FieldPath] = []
    if node is not None:
        _walk(node, (), lines, duplicates)
    return data, lines, duplicates


def _walk(
    node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], duplicates: list[FieldPath]
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            if key in seen:
                duplicates.append(child)
                lines[child] = key_node.start_mark.line + 1
                continue
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, duplicates)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, duplicates)


class _Locator:
    """Turns a field path into a :class:`Problem` on the nearest line that exists."""

    def __init__(self, name: str, lines: dict[FieldPath, int]) -> None:
        self.name = name
        self.lines = lines

    def __call__(self, path: Iterable[str | int], message: str) -> Problem:
        path = tuple(path)
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe, 1)
        return Problem(self.name, line, _dotted(path), message)


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _clean_loc(loc: tuple[Any, ...], data: Any) -> FieldPath:
    """Drop the parts of a pydantic location that are not in the file (union tags, validators)."""
    clean: list[str | int] = []
    here = data
    for part in loc:
        in_dict = isinstance(here, dict) and part in here
        in_list = isinstance(here, list) and isinstance(part, int) and part < len(here)
        if in_dict or in_list:
            clean.append(part)
            here = here[part]
        elif isinstance(part, str) and (
            part in QUESTION_TYPES or "[" in part or "function" in part
        ):
            continue  # a discriminator tag or validator name pydantic adds to the location
        else:
            clean.append(part)
            here = None
    return tuple(clean)


# --- friendly messages -------------------------------------------------------------------


@cache
def _known_keys() -> tuple[str, ...]:
    """Every key the format knows, for did-you-mean hints."""
    keys: set[str] = {"in"}
    for model in _submodels():
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
    return tuple(sorted(keys))


def _submodels() -> list[type[BaseModel]]:
    from kiosk.survey import model as m

    return [
        value
        for value in vars(m).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
    ]


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = err["loc"]
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        hint = difflib.get_close_matches(key, _known_keys(), n=1, cutoff=0.6)
        return f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    if kind == "missing":
        return "is required but missing"
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag", ""))
        hint = difflib.get_close_matches(tag, QUESTION_TYPES, n=1, cutoff=0.5)
        known = ", ".join(QUESTION_TYPES)
        return f"unknown question type {tag!r}" + (
            f" (did you mean {hint[0]!r}?)" if hint else f"; the types are {known}"
        )
    if kind == "union_tag_not_found":
        return f"every question needs a 'type': one of {', '.join(QUESTION_TYPES)}"
    if kind == "too_short" and loc and loc[-1] in ("choices", "themes", "questions"):
        return f"must list at least one {str(loc[-1]).rstrip('s')}"
    if kind == "string_pattern_mismatch":
        field_name = loc[-1] if loc else ""
        if field_name in ("id", "question") or (isinstance(field_name, int)):
            return (
                "must be a slug: lowercase letters, digits, '-' and '_' (for example 'age-group')"
            )
        if field_name == "url":
            return "must be an http:// or https:// address"
        if field_name == "ref_prefix":
            return "must be 1 to 4 capital letters, for example GM"
        return f"does not have the expected form ({ctx.get('pattern', '')})"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind == "literal_error":
        return f"must be {ctx.get('expected', 'one of the allowed values')}"
    if kind in ("string_type", "str_type"):
        return "must be a text"
    if kind == "list_type":
        return "must be a list (lines starting with '- ')"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping of fields"
    return str(err["msg"])
