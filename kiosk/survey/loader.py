"""Read a survey file and report every problem in it as ``FILE:LINE: path: what is wrong``."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from kiosk.sanitize import forbidden_character
from kiosk.survey.checks import cross_checks, warning_checks
from kiosk.survey.model import LANG_PATTERN, QUESTION_TYPES, Survey

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class SurveyProblem:
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
    problems: list[SurveyProblem] = field(default_factory=list)
    #: What is allowed but probably not meant; never makes the file invalid.
    warnings: list[SurveyProblem] = field(default_factory=list)

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
        if any(q.type == "contact" for q in s.questions):
            parts.append("contact step")
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
        with Path(path).open("rb") as file:
            # a survey is kilobytes: read one byte past the limit instead of a whole huge file
            raw = file.read(MAX_SURVEY_BYTES + 1)
    except FileNotFoundError:
        return _single(name, 1, "", "no such file")
    except IsADirectoryError:
        return _single(name, 1, "", f"is a directory; give the survey files, e.g. {name}/*.yaml")
    except OSError as exc:
        return _single(name, 1, "", f"cannot read the file: {exc.strerror}")
    if len(raw) > MAX_SURVEY_BYTES:
        return _single(name, 1, "", _too_big_message())
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return _single(
            name,
            line,
            "",
            f"the file is not UTF-8 text ({exc.reason} at column {column}); "
            "save it as UTF-8 in your editor",
        )
    return validate_text(text, name)


def validate_text(text: str, name: str = "<survey>") -> Report:
    """Validate survey YAML given as text (``name`` is used in messages)."""
    if len(text) > MAX_SURVEY_BYTES:
        return _single(name, 1, "", _too_big_message())
    try:
        data, lines, duplicate_keys, text_problems = _parse(text)
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_error(exc)
        return _single(name, line, "", message)
    except yaml.YAMLError as exc:
        return _single(name, 1, "", f"YAML error: {exc}")
    except _AliasLoop as exc:
        return _single(
            name, exc.line, "", "an alias (*name) refers to the list or mapping it is in"
        )
    except (_TooBig, RecursionError):
        return _single(
            name,
            1,
            "",
            f"the file is too big or nests too deeply for a survey "
            f"(more than {_MAX_NODES} values or {_MAX_DEPTH} levels)",
        )

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
    report.problems.extend(located(path, message) for path, message in text_problems)

    languages = data.get("languages")
    context = {"languages": languages} if _is_language_list(languages) else {}
    survey: Survey | None = None
    try:
        survey = Survey.model_validate(data, context=context)
    except ValidationError as exc:
        report.problems.extend(
            located(path, message) for path, message in _problems_from(exc, data)
        )
    report.problems.extend(located(path, message) for path, message in cross_checks(data))
    report.problems.sort(key=lambda p: p.line)
    report.warnings.extend(located(path, message) for path, message in warning_checks(data))
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
    return Report(file=name, problems=[SurveyProblem(name, line, path, message)])


def _is_language_list(value: Any) -> bool:
    """True for a usable ``languages`` list, the context translated texts are checked with."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and re.fullmatch(LANG_PATTERN, v) for v in value)
    )


def _yaml_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """The line of a YAML syntax error and a message naming its column."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = exc.problem or exc.context or "not valid YAML"
    started = exc.context_mark
    if exc.problem and exc.context and started is not None and started.line + 1 != line:
        what += f" ({exc.context} started on line {started.line + 1})"
    if "flow" in (exc.context or ""):
        what += "; inside { } and [ ], put a text with , ? : # [ ] { } in quotes"
    if "'\\t'" in what:
        what += "; indent with spaces, YAML does not allow tabs there"
    return line, f"YAML syntax error at column {column}: {what}"


# --- YAML with line numbers ----------------------------------------------------------------


_MAX_NODES = 100_000
_MAX_DEPTH = 100
#: The largest survey file read at all: the bundled ones are a few kilobytes, and parsing
#: megabytes of YAML takes seconds and hundreds of megabytes of memory.
MAX_SURVEY_BYTES = 256 * 1024
#: The longest single text in a survey: a question, an intro, an info screen.
MAX_SURVEY_TEXT = 4000
_STR_TAG = "tag:yaml.org,2002:str"


def _too_big_message() -> str:
    return (
        f"the file is larger than {MAX_SURVEY_BYTES // 1024} KiB, far more than any survey; "
        "is it the right file?"
    )


class _AliasLoop(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _TooBig(Exception):
    pass


@dataclass
class _Walk:
    """What one walk over the node tree collects, and the budget that bounds it."""

    lines: dict[FieldPath, int] = field(default_factory=dict)
    duplicates: list[FieldPath] = field(default_factory=list)
    problems: list[tuple[FieldPath, str]] = field(default_factory=list)
    ancestors: set[int] = field(default_factory=set)
    budget: int = _MAX_NODES


def _parse(
    text: str,
) -> tuple[Any, dict[FieldPath, int], list[FieldPath], list[tuple[FieldPath, str]]]:
    """Parse YAML: the data, the line of every field path, duplicated keys, and bad texts.

    The node tree is walked before the data is used, so a file whose aliases loop or
    multiply (``&a [*a]``, "billion laughs") is refused before anything recurses into it.
    Keys that YAML would read as numbers, booleans or null, control characters and texts
    no survey needs are reported at their own line and field.
    """
    loader = yaml.SafeLoader(text)
    walk = _Walk()
    try:
        node = loader.get_single_node()
        if node is not None:
            walk.lines[()] = node.start_mark.line + 1
            _walk(node, (), walk)
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, walk.lines, walk.duplicates, walk.problems


def _walk(node: yaml.Node, path: FieldPath, walk: _Walk) -> None:
    """Record the line of every key and list item under ``node``, and check its texts."""
    if id(node) in walk.ancestors:
        raise _AliasLoop(node.start_mark.line + 1)
    walk.budget -= 1
    if walk.budget < 0 or len(walk.ancestors) > _MAX_DEPTH:
        raise _TooBig
    walk.ancestors.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping as a key: the constructor refuses it
            key = key_node.value
            child = (*path, key)
            if key in seen:
                walk.duplicates.append(child)
            seen.add(key)
            walk.lines[child] = key_node.start_mark.line + 1
            if key_node.tag != _STR_TAG:
                walk.problems.append((child, _key_message(key)))
            else:
                _check_text(key, child, walk)
            _walk(value_node, child, walk)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            walk.lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), walk)
    elif isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
        _check_text(node.value, path, walk)
    walk.ancestors.discard(id(node))


def _key_message(key: str) -> str:
    return (
        f"the key {key!r} is read as a number, true/false or null, not as a name; "
        f'put it in quotes ("{key}":) or use a word'
    )


def _check_text(value: str, path: FieldPath, walk: _Walk) -> None:
    """Refuse control characters and absurd lengths in any text of the file."""
    bad = forbidden_character(value)
    if bad is not None:
        walk.problems.append(
            (
                path,
                f"the text holds the control character U+{ord(bad):04X}, which could garble "
                "or disguise what visitors see; remove it (retype the text if you cannot see it)",
            )
        )
    elif len(value) > MAX_SURVEY_TEXT:
        walk.problems.append(
            (
                path,
                f"the text is {len(value)} characters long; a survey text may have at most "
                f"{MAX_SURVEY_TEXT}",
            )
        )


class _Locator:
    """Turns a field path into a :class:`SurveyProblem` on the nearest line that exists."""

    def __init__(self, name: str, lines: dict[FieldPath, int]) -> None:
        self.name = name
        self.lines = lines

    def __call__(self, path: Iterable[str | int], message: str) -> SurveyProblem:
        path = tuple(path)
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe, 1)
        return SurveyProblem(self.name, line, _dotted(path), message)


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


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


def _problems_from(exc: ValidationError, data: Any) -> list[tuple[FieldPath, str]]:
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
        out.extend((path, _message(err, data, path)) for err in errors)
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


def _message(err: dict[str, Any], data: Any = None, path: FieldPath = ()) -> str:
    """A message an organiser understands for one pydantic error."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = err["loc"]
    last = path[-1] if path else ""
    parent = path[-2] if len(path) >= 2 else ""
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        model = _model_at(loc[:-1])
        keys = _keys_of(model) if model else _known_keys()
        hint = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
        if hint:
            return f"unknown key {key!r} (did you mean {hint[0]!r}?)"
        if model is not None:
            return f"unknown key {key!r}; the keys here are {', '.join(keys)}"
        return f"unknown key {key!r}"
    if kind == "missing":
        return "is required but missing"
    if kind == "union_tag_invalid":
        tag = _value_at(data, path) if last == "type" else None
        known = ", ".join(QUESTION_TYPES)
        if not isinstance(tag, str):
            return f"'type' must be one of {known}"
        hint = difflib.get_close_matches(tag, QUESTION_TYPES, n=1, cutoff=0.5)
        return f"unknown question type {tag!r}" + (
            f" (did you mean {hint[0]!r}?)" if hint else f"; the types are {known}"
        )
    if kind == "union_tag_not_found":
        return f"every question needs a 'type': one of {', '.join(QUESTION_TYPES)}"
    if kind == "too_short":
        if last in ("choices", "themes", "questions", "languages"):
            return f"must list at least one {str(last).rstrip('s')}"
        return "must list at least one value"
    if kind == "too_long":
        return f"is too long: at most {ctx.get('max_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        if parent == "languages":
            return "must be a language code of 2 or 3 lowercase letters, for example da or en"
        if last in ("id", "question"):
            return (
                "must be a slug: lowercase letters, digits, '-' and '_' (for example 'age-group')"
            )
        if last == "url":
            return "must be an http:// or https:// address"
        if last == "ref_prefix":
            return "must be 1 to 4 capital letters, for example GM"
        return f"does not have the expected form ({ctx.get('pattern', '')})"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind == "literal_error":
        if last == "required":
            question = _value_at(data, path[:-1])
            if isinstance(question, dict) and question.get("type") == "contact":
                return "a visitor may always say no to being contacted, so it cannot be required"
            return "an info screen has no answer, so it cannot be required"
        return f"must be {ctx.get('expected', 'one of the allowed values')}"
    if kind in ("string_type", "str_type"):
        return "must be a text"
    if kind == "list_type":
        return "must be a list (lines starting with '- ')"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping of fields (key: value lines)"
    return str(err["msg"])


def _value_at(data: Any, path: FieldPath) -> Any:
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
        else:
            return None
    return data
