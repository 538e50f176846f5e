"""Read a survey file and report every problem in it as ``FILE:LINE: path: what is wrong``."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kiosk.survey.checks import cross_checks, warning_checks
from kiosk.survey.messages import problems_from
from kiosk.survey.model import LANG_PATTERN, Survey
from kiosk.survey.yaml_lines import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_SURVEY_BYTES,
    AliasLoop,
    Locator,
    SurveyProblem,
    TooBig,
    parse_with_lines,
    too_big_message,
)


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
        return _single(name, 1, "", too_big_message())
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
        return _single(name, 1, "", too_big_message())
    try:
        data, lines, duplicate_keys, text_problems = parse_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_error(exc)
        return _single(name, line, "", message)
    except yaml.YAMLError as exc:
        return _single(name, 1, "", f"YAML error: {exc}")
    except AliasLoop as exc:
        return _single(
            name, exc.line, "", "an alias (*name) refers to the list or mapping it is in"
        )
    except (TooBig, RecursionError):
        return _single(
            name,
            1,
            "",
            f"the file is too big or nests too deeply for a survey "
            f"(more than {MAX_NODES} values or {MAX_DEPTH} levels)",
        )

    report = Report(file=name)
    located = Locator(name, lines)
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
        report.problems.extend(located(path, message) for path, message in problems_from(exc, data))
    report.problems.extend(located(path, message) for path, message in cross_checks(data))
    report.problems.sort(key=lambda p: p.line)
    report.warnings.extend(located(path, message) for path, message in warning_checks(data))
    if not report.problems:
        report.survey = survey
    return report


def survey_hash(survey: Survey) -> str:
    """sha256 of the survey's content, independent of comments and layout in its file."""
    return definition_hash(survey.model_dump(mode="json", by_alias=True))


def definition_hash(dumped: Any) -> str:
    """:func:`survey_hash` of a survey already dumped to JSON data (a kept or sent definition).

    The collector checks a sent definition with it, without depending on its own survey
    model giving the same dump as the kiosk's. Raises UnicodeError for a lone surrogate.
    """
    canonical = json.dumps(dumped, sort_keys=True, ensure_ascii=False)
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
