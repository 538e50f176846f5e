"""Survey files that are huge, hostile or odd: refused early, located, never a long parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.survey import validate_file
from kiosk.survey.yaml_lines import MAX_SURVEY_BYTES, MAX_SURVEY_TEXT

HEADER = """\
id: test
version: 1
languages: [da, en]
title: {da: Test, en: Test}
intro: {da: Hej, en: Hello}
thanks: {da: Tak, en: Thanks}
questions:
  - id: a
    type: yes_no
    text: {da: A, en: A}
"""


def problems_of(path: Path) -> list[str]:
    report = validate_file(path)
    assert not report.ok
    return [f"{p.line}:{p.path}:{p.message}" for p in report.problems]


def test_a_huge_file_is_refused_by_size_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.write(HEADER.encode())
        file.truncate(46 * 1024 * 1024)  # 46 MB, as in the report; sparse, so it is cheap
    (problem,) = problems_of(path)
    assert problem.startswith("1::the file is larger than 256 KiB")


def test_a_file_just_over_the_limit_is_refused_and_one_under_is_parsed(tmp_path: Path) -> None:
    filler = "#" * 1000 + "\n"
    over = tmp_path / "over.yaml"
    over.write_text(HEADER + filler * (MAX_SURVEY_BYTES // len(filler) + 1), encoding="utf-8")
    assert "larger than" in problems_of(over)[0]
    under = tmp_path / "under.yaml"
    under.write_text(HEADER + filler * 10, encoding="utf-8")
    assert validate_file(under).ok


@pytest.mark.parametrize("key", ["1", "null", "true", "no", "2.5"])
def test_a_key_that_yaml_reads_as_a_value_is_located(tmp_path: Path, key: str) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(HEADER + f"    {key}: x\n", encoding="utf-8")
    found = [p for p in problems_of(path) if "put it in quotes" in p]
    assert found == [
        f"11:questions[0].{key}:the key {key!r} is read as a number, true/false or null, "
        f'not as a name; put it in quotes ("{key}":) or use a word'
    ]


def test_a_quoted_numeric_key_is_only_an_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(HEADER + '    "1": x\n', encoding="utf-8")
    assert not [p for p in problems_of(path) if "put it in quotes" in p]


@pytest.mark.parametrize(
    ("escaped", "code"),
    [("\\e]0;pwned\\a", "001B"), ("\\u202e", "202E"), ("\\x07", "0007"), ("\\x9b", "009B")],
)
def test_control_characters_in_a_text_are_refused_where_they_are(
    tmp_path: Path, escaped: str, code: str
) -> None:
    path = tmp_path / "ctl.yaml"
    text = HEADER.replace("title: {da: Test,", f'title: {{da: "Te{escaped}st",')
    path.write_text(text, encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.startswith(f"4:title.da:the text holds the control character U+{code}")


def test_control_character_in_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ctl.yaml"
    path.write_text(HEADER + '    "x\\e[2J": y\n', encoding="utf-8")
    assert any("U+001B" in p and p.startswith("11:") for p in problems_of(path))


def test_an_absurdly_long_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    long = "a" * (MAX_SURVEY_TEXT + 1)
    path.write_text(HEADER.replace("intro: {da: Hej,", f"intro: {{da: {long},"), encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem == (
        f"5:intro.da:the text is {MAX_SURVEY_TEXT + 1} characters long; "
        f"a survey text may have at most {MAX_SURVEY_TEXT}"
    )


def test_tabs_and_line_breaks_in_texts_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        HEADER.replace("intro: {da: Hej,", 'intro: {da: "Hej\\tdu\\nog dig",'), encoding="utf-8"
    )
    assert validate_file(path).ok
