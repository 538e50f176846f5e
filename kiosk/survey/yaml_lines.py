"""YAML with line numbers: parse a survey file, knowing the line of every field path.

The node tree is walked before any data is built, so aliases that loop or multiply, keys
YAML would read as values, control characters and absurd texts are all refused with the
line and field they are on. :class:`Locator` turns a field path into a located problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from kiosk.sanitize import forbidden_character

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


MAX_NODES = 100_000
MAX_DEPTH = 100
#: The largest survey file read at all: the bundled ones are a few kilobytes, and parsing
#: megabytes of YAML takes seconds and hundreds of megabytes of memory.
MAX_SURVEY_BYTES = 256 * 1024
#: The longest single text in a survey: a question, an intro, an info screen.
MAX_SURVEY_TEXT = 4000
_STR_TAG = "tag:yaml.org,2002:str"


def too_big_message() -> str:
    return (
        f"the file is larger than {MAX_SURVEY_BYTES // 1024} KiB, far more than any survey; "
        "is it the right file?"
    )


class AliasLoop(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class TooBig(Exception):
    pass


@dataclass
class _Walk:
    """What one walk over the node tree collects, and the budget that bounds it."""

    lines: dict[FieldPath, int] = field(default_factory=dict)
    duplicates: list[FieldPath] = field(default_factory=list)
    problems: list[tuple[FieldPath, str]] = field(default_factory=list)
    ancestors: set[int] = field(default_factory=set)
    budget: int = MAX_NODES


def parse_with_lines(
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
        raise AliasLoop(node.start_mark.line + 1)
    walk.budget -= 1
    if walk.budget < 0 or len(walk.ancestors) > MAX_DEPTH:
        raise TooBig
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
    problem = text_problem(value)
    if problem is not None:
        walk.problems.append((path, problem))


def text_problem(value: str) -> str | None:
    """Why a survey text (or key) cannot be shown to visitors, or None."""
    bad = forbidden_character(value)
    if bad is not None:
        return (
            f"the text holds the control character U+{ord(bad):04X}, which could garble "
            "or disguise what visitors see; remove it (retype the text if you cannot see it)"
        )
    if len(value) > MAX_SURVEY_TEXT:
        return (
            f"the text is {len(value)} characters long; a survey text may have at most "
            f"{MAX_SURVEY_TEXT}"
        )
    return None


def data_text_problems(data: Any) -> list[tuple[FieldPath, str]]:
    """The checks of a survey file's texts, on a definition that arrived as JSON (a
    collector receives them from kiosks, and trusts nothing it receives)."""
    problems: list[tuple[FieldPath, str]] = []
    stack: list[tuple[Any, FieldPath]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = (*path, str(key))
                if isinstance(key, str) and (problem := text_problem(key)):
                    problems.append((child, problem))
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend((item, (*path, n)) for n, item in enumerate(value))
        elif isinstance(value, str) and (problem := text_problem(value)):
            problems.append((path, problem))
    return problems


class Locator:
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
