"""``kiosk validate``: every kind of problem, on the right line, and never a traceback."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import cli
from kiosk.paths import PROJECT_ROOT
from kiosk.survey import SurveyError, load_survey, validate_file
from kiosk.survey.loader import validate_text
from kiosk.survey.model import QUESTION_TYPES

ROOT = PROJECT_ROOT
GENTOFTE = ROOT / "surveys" / "gentofte-moedes.yaml"

# Lines 1-7; the questions given to survey() start on line 8.
HEADER = """\
id: test
version: 1
languages: [da, en]
title: {da: Test, en: Test}
intro: {da: Hej, en: Hello}
thanks: {da: Tak, en: Thanks}
questions:
"""


def survey(questions: str, extra: str = "") -> str:
    return HEADER + dedent(questions) + dedent(extra)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so file names in messages are short: ``x.yaml:14: ...``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems(text: str | bytes, name: str = "x.yaml") -> list[str]:
    """Write ``text`` to ``name`` (in the current directory) and validate it."""
    path = Path(name)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    report = validate_file(name)
    assert not report.ok
    assert report.survey is None
    return [str(problem) for problem in report.problems]


def run_cli(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), prog_name="kiosk")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"kiosk {' '.join(args)} raised {result.exception!r}")
    return result


def test_header_alone_with_one_question_is_valid(in_tmp: Path) -> None:
    Path("ok.yaml").write_text(survey("  - {id: a, type: yes_no, text: A}\n"), encoding="utf-8")
    report = validate_file("ok.yaml")
    assert report.problems == []
    assert report.ok


# --- one problem each: the table -----------------------------------------------------------------


#: Files with one mistake each (the questions, and what follows them), and every problem
#: ``kiosk validate`` must report, each on its line.
PROBLEMS = [
    # translations
    pytest.param(
        """\
          - {id: a, type: yes_no, text: A}
          - {id: b, type: info, text: B}
          - id: c
            type: single_choice
            text: {da: C, en: C}
            choices:
              - id: x
                text: {da: X}
        """,
        "",
        ["x.yaml:15: questions[2].choices[0].text: missing the 'en' text"],
        id="missing_translation",
    ),
    pytest.param(
        """\
          - {id: a, type: yes_no, text: A}
          - {id: b, type: info, text: B}
          - id: c
            type: single_choice
            text: {da: C, en: C}
            choices:
              - {id: x, text: {da: X}}
        """,
        "",
        ["x.yaml:14: questions[2].choices[0].text: missing the 'en' text"],
        id="missing_translation_in_a_flow_mapping_line",
    ),
    pytest.param(
        "  - {id: a, type: yes_no, text: {da: A, en: A, de: A}}\n",
        "",
        ["x.yaml:8: questions[0].text: has a 'de' text, but the survey's languages are da, en"],
        id="text_in_a_language_the_survey_does_not_list",
    ),
    pytest.param(
        "  - id: a\n    type: yes_no\n    text: {da: A, en: }\n",
        "",
        ["x.yaml:10: questions[0].text: the 'en' text is empty"],
        id="empty_translation",
    ),
    pytest.param(
        "  - {id: a, type: yes_no, text: {da: Ja, en: Sure, thanks}}\n",
        "",
        [
            "x.yaml:8: questions[0].text: 'thanks' is not a language code; "
            "a text with a comma inside { ... } must be in quotes"
        ],
        id="comma_in_an_unquoted_flow_text_gets_a_hint",
    ),
    pytest.param(
        """\
          - id: a
            type: single_choice
            text: A
            choices:
              - {id: ja, text: {da: Ja, en: Yes}}
              - {id: nej, text: No}
              - {id: ti, text: 10}
        """,
        "",
        [
            "x.yaml:12: questions[0].choices[0].text: "
            "YAML reads the 'en' text as true, not as a text: put it in quotes",
            "x.yaml:13: questions[0].choices[1].text: "
            "YAML reads this as false, not as a text: put it in quotes",
            "x.yaml:14: questions[0].choices[2].text: "
            "YAML reads this as the number 10, not as a text: put it in quotes",
        ],
        id="unquoted_yes_no_and_numbers_as_texts",
    ),
    # unknown keys and types
    pytest.param(
        """\
          - id: a
            type: yes_no
            requird: true
            text: A
        """,
        "",
        ["x.yaml:10: questions[0].requird: unknown key 'requird' (did you mean 'required'?)"],
        id="unknown_key_with_did_you_mean",
    ),
    pytest.param(
        "  - {id: a, type: yes_no, text: A}\n",
        "titel: Hej\n",
        ["x.yaml:9: titel: unknown key 'titel' (did you mean 'title'?)"],
        id="unknown_top_level_key_with_did_you_mean",
    ),
    pytest.param(
        """\
          - id: a
            type: single_choice
            text: A
            choices:
              - {id: x, text: X, requird: true}
        """,
        "",
        [
            "x.yaml:12: questions[0].choices[0].requird: unknown key 'requird'; "
            "the keys here are id, text"
        ],
        id="unknown_key_hint_only_suggests_keys_of_that_place",
    ),
    pytest.param(
        """\
          - {id: a, type: yes_no, text: A}
          - id: b
            type: singel_choice
            text: B
        """,
        "",
        [
            "x.yaml:10: questions[1].type: unknown question type 'singel_choice' "
            "(did you mean 'single_choice'?)"
        ],
        id="unknown_question_type_with_hint",
    ),
    pytest.param(
        "  - {id: a, type: dropdown, text: A}\n",
        "",
        [
            "x.yaml:8: questions[0].type: unknown question type 'dropdown'; the types are "
            "single_choice, multiple_choice, scale, yes_no, text, number, info, contact"
        ],
        id="unknown_question_type_without_hint_lists_the_types",
    ),
    pytest.param(
        "  - {id: a, text: A}\n",
        "",
        [
            "x.yaml:8: questions[0]: every question needs a 'type': one of "
            "single_choice, multiple_choice, scale, yes_no, text, number, info, contact"
        ],
        id="question_without_type",
    ),
    # The type tag 'text' is also a key of the question; the path must not go into it.
    pytest.param(
        "  - {id: a, type: yes_no, text: A}\n  - type: text\n    text: T\n",
        "",
        ["x.yaml:9: questions[1].id: is required but missing"],
        id="missing_field_is_reported_at_its_question_not_inside_its_text",
    ),
    pytest.param(
        "  - id: a\n    type: text\n    text: A\n    max_length: 5000\n",
        "",
        ["x.yaml:11: questions[0].max_length: must be at most 1000"],
        id="wrong_value_in_a_text_question_has_a_clean_path",
    ),
    pytest.param(
        "  - {id: a, type: info, text: A, required: true}\n",
        "",
        ["x.yaml:8: questions[0].required: an info screen has no answer, so it cannot be required"],
        id="info_screen_cannot_be_required",
    ),
    pytest.param(
        "  - id: a\n    type: number\n    text: A\n    max: '3'\n",
        "",
        ["x.yaml:11: questions[0].max: must be a whole number"],
        id="a_quoted_number_is_not_a_number",
    ),
    # duplicate ids
    pytest.param(
        """\
          - {id: a, type: yes_no, text: A}
          - {id: b, type: yes_no, text: B}
          - {id: a, type: text, text: C}
        """,
        "",
        ["x.yaml:10: questions[2].id: duplicate question id 'a' (first used at questions[0])"],
        id="duplicate_question_ids",
    ),
    pytest.param(
        """\
          - id: a
            type: multiple_choice
            text: A
            choices:
              - {id: x, text: X}
              - {id: y, text: Y}
              - {id: x, text: Z}
        """,
        "",
        [
            "x.yaml:14: questions[0].choices[2].id: "
            "duplicate choice id 'x' (first used at choices[0])"
        ],
        id="duplicate_choice_ids",
    ),
    pytest.param(
        "  - {id: a, type: yes_no, text: A}\n",
        """\
        ideas:
          prompt: P
          themes:
            - {id: t, text: T}
            - {id: t, text: U}
          questions:
            - {id: a, type: text, text: Again}
        """,
        [
            "x.yaml:13: ideas.themes[1].id: duplicate theme id 't' (first used at themes[0])",
            "x.yaml:15: ideas.questions[0].id: "
            "duplicate question id 'a' (first used at questions[0])",
        ],
        id="duplicate_theme_ids_and_idea_question_reusing_a_survey_id",
    ),
    # show_if
    pytest.param(
        """\
          - id: a
            type: text
            text: A
            show_if: {question: b, equals: true}
          - {id: b, type: yes_no, text: B}
        """,
        "",
        [
            "x.yaml:11: questions[0].show_if.question: "
            "refers to 'b', which comes later; show_if may only look back"
        ],
        id="show_if_pointing_forward",
    ),
    pytest.param(
        "  - {id: a, type: yes_no, text: A, show_if: {question: a, equals: true}}\n",
        "",
        [
            "x.yaml:8: questions[0].show_if.question: "
            "refers to its own question; show_if may only look back"
        ],
        id="show_if_pointing_to_itself",
    ),
    pytest.param(
        """\
          - {id: a, type: yes_no, text: A}
          - id: b
            type: text
            text: B
            show_if:
              question: nope
              equals: true
        """,
        "",
        [
            "x.yaml:13: questions[1].show_if.question: "
            "refers to 'nope', which is not a question here"
        ],
        id="show_if_to_a_question_that_does_not_exist",
    ),
    pytest.param(
        """\
          - id: a
            type: single_choice
            text: A
            choices: [{id: x, text: X}, {id: y, text: Y}]
          - id: b
            type: text
            text: B
            show_if: {question: a, in: [x, z]}
        """,
        "",
        ["x.yaml:15: questions[1].show_if.in[1]: 'a' can never be 'z': its choices are x, y"],
        id="show_if_to_a_choice_that_is_not_there",
    ),
    # Each problem is named once: the empty list, and a value that cannot match.
    pytest.param(
        """\
          - {id: a, type: single_choice, text: A, choices: []}
          - {id: b, type: multiple_choice, text: B, choices: [{id: x, text: X}, {id: x, text: Y}]}
          - {id: c, type: text, text: C, show_if: {question: a, equals: x}}
          - {id: d, type: text, text: D, show_if: {question: b, equals: z}}
        """,
        "",
        [
            "x.yaml:8: questions[0].choices: must list at least one choice",
            "x.yaml:9: questions[1].choices[1].id: "
            "duplicate choice id 'x' (first used at choices[0])",
            "x.yaml:10: questions[2].show_if.equals: 'a' can never be 'x': it has no choices",
            "x.yaml:11: questions[3].show_if.equals: 'b' can never be 'z': its choices are x",
        ],
        id="show_if_to_a_choice_question_whose_choices_are_broken",
    ),
    pytest.param(
        """\
          - {id: a, type: scale, text: A}
          - id: b
            type: text
            text: B
            show_if: {question: a, equals: 6}
        """,
        "",
        [
            "x.yaml:12: questions[1].show_if.equals: "
            "'a' can never be 6: its answers range from 1 to 5"
        ],
        id="show_if_scale_value_out_of_range",
    ),
    pytest.param(
        """\
          - {id: a, type: yes_no, text: A}
          - id: b
            type: text
            text: B
            show_if: {question: a, equals: "ja"}
        """,
        "",
        [
            "x.yaml:12: questions[1].show_if.equals: "
            "'a' can never be 'ja': a yes/no answer is true or false"
        ],
        id="show_if_yes_no_with_a_value_that_is_not_true_or_false",
    ),
    pytest.param(
        """\
          - {id: a, type: yes_no, text: A}
          - {id: b, type: text, text: B, show_if: {question: a}}
        """,
        "",
        ["x.yaml:9: questions[1].show_if: give exactly one of 'equals' or 'in'"],
        id="show_if_needs_exactly_one_of_equals_and_in",
    ),
    pytest.param(
        """\
          - {id: a, type: yes_no, text: A}
          - {id: b, type: text, text: B, show_if: {question: a, equals: [true]}}
        """,
        "",
        ["x.yaml:9: questions[1].show_if.equals: must be a text, a whole number or true/false"],
        id="show_if_value_that_is_a_list",
    ),
    # ranges
    pytest.param(
        "  - id: a\n    type: scale\n    text: A\n    min: 5\n",
        "",
        ["x.yaml:11: questions[0].min: min (5) must be less than max (5)"],
        id="scale_min_not_below_max",
    ),
    pytest.param(
        "  - id: a\n    type: number\n    text: A\n    min: 120\n    max: 0\n",
        "",
        ["x.yaml:11: questions[0].min: min (120) must be less than max (0)"],
        id="number_min_not_below_max",
    ),
    pytest.param(
        "  - id: a\n    type: multiple_choice\n    text: A\n    max_choices: 3\n"
        "    choices: [{id: x, text: X}, {id: y, text: Y}]\n",
        "",
        ["x.yaml:11: questions[0].max_choices: max_choices (3) is more than the 2 choices"],
        id="max_choices_more_than_choices",
    ),
    pytest.param(
        "  - id: a\n    type: single_choice\n    text: A\n    choices: []\n",
        "",
        ["x.yaml:11: questions[0].choices: must list at least one choice"],
        id="empty_choice_list",
    ),
    pytest.param(
        "  - {id: a, type: yes_no, text: A}\n",
        "ideas:\n  prompt: P\n  themes: [{id: t, text: T}]\n  allow_contact: true\n",
        [
            "x.yaml:9: ideas.consent: is needed when allow_contact is true: "
            "say what is kept, why and for how long"
        ],
        id="contact_without_consent",
    ),
    # the file itself
    pytest.param(
        "  - {id: a, type: yes_no, text: {da: Kommer du?, en: Will you come?}}\n",
        "",
        [
            "x.yaml:8: YAML syntax error at column 45: expected ',' or '}', but got '?'; "
            "inside { } and [ ], put a text with , ? : # [ ] { } in quotes"
        ],
        id="question_mark_in_an_unquoted_flow_text",
    ),
    pytest.param(
        """\
          - id: a
            type: yes_no
            text: A
            text: B
        """,
        "",
        ["x.yaml:11: questions[0].text: this key appears twice; the second would silently win"],
        id="duplicate_yaml_key",
    ),
]


@pytest.mark.parametrize(("questions", "extra", "expected"), PROBLEMS)
def test_each_problem_on_its_line(
    in_tmp: Path, questions: str, extra: str, expected: list[str]
) -> None:
    assert problems(survey(questions, extra)) == expected


# --- duplicate ids --------------------------------------------------------------------------


def test_a_language_listed_twice(in_tmp: Path) -> None:
    text = HEADER.replace("languages: [da, en]", "languages:\n  - da\n  - en\n  - da")
    text += "  - {id: a, type: yes_no, text: A}\n"
    assert problems(text) == [
        "x.yaml:6: languages[2]: 'da' is listed twice (first at languages[0])"
    ]


# --- ranges ---------------------------------------------------------------------------------


def test_scale_with_more_than_eleven_points(in_tmp: Path) -> None:
    text = survey("  - id: a\n    type: scale\n    text: A\n    min: 0\n    max: 10\n")
    Path("ok.yaml").write_text(text, encoding="utf-8")
    assert load_survey("ok.yaml").questions[0].points == list(range(11))  # a common scale
    text = survey("  - id: a\n    type: scale\n    text: A\n    min: 0\n    max: 11\n")
    assert problems(text) == [
        "x.yaml:12: questions[0].max: a scale has at most 11 points; 0..11 has 12"
    ]


def test_scale_points_are_not_negative(in_tmp: Path) -> None:
    text = survey("  - id: a\n    type: scale\n    text: A\n    min: -2\n    max: 2\n")
    (problem,) = problems(text)
    assert problem.startswith("x.yaml:11: questions[0].min: ")


# --- the file itself ------------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column(in_tmp: Path) -> None:
    assert problems("id: t\nversion: 1\n  title: x\n") == [
        "x.yaml:3: YAML syntax error at column 8: mapping values are not allowed here"
    ]


def test_unclosed_bracket_says_where_it_started(in_tmp: Path) -> None:
    assert problems("id: t\ntitle: [a\nversion: 1\n") == [
        "x.yaml:3: YAML syntax error at column 8: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence started on line 2); "
        "inside { } and [ ], put a text with , ? : # [ ] { } in quotes"
    ]


def test_tab_indentation(in_tmp: Path) -> None:
    assert problems("id: t\nquestions:\n\t- id: a\n") == [
        "x.yaml:3: YAML syntax error at column 1: found character '\\t' that cannot start "
        "any token; indent with spaces, YAML does not allow tabs there"
    ]


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "", "# only a comment\n", "42\n"])
def test_file_that_is_not_a_mapping(in_tmp: Path, text: str) -> None:
    assert problems(text) == [
        "x.yaml:1: a survey file is a mapping of fields (id:, version:, title:, ...)"
    ]


def test_missing_file(in_tmp: Path) -> None:
    report = validate_file("nope.yaml")
    assert [str(p) for p in report.problems] == ["nope.yaml:1: no such file"]


def test_directory(in_tmp: Path) -> None:
    Path("surveys").mkdir()
    report = validate_file("surveys")
    assert [str(p) for p in report.problems] == [
        "surveys:1: is a directory; give the survey files, e.g. surveys/*.yaml"
    ]


def test_non_utf8_bytes(in_tmp: Path) -> None:
    text = survey("  - {id: a, type: yes_no, text: Caf\u00e9}\n").encode("latin-1")
    assert problems(text) == [
        "x.yaml:8: the file is not UTF-8 text (invalid continuation byte at column 34); "
        "save it as UTF-8 in your editor"
    ]


def test_alias_loop_is_a_problem_not_a_crash(in_tmp: Path) -> None:
    assert problems("&a [*a]\n") == [
        "x.yaml:1: an alias (*name) refers to the list or mapping it is in"
    ]


def test_alias_bomb_is_refused(in_tmp: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    assert problems("\n".join(lines) + "\n") == [
        "x.yaml:1: the file is too big or nests too deeply for a survey "
        "(more than 100000 values or 100 levels)"
    ]


def test_python_tags_are_refused(in_tmp: Path) -> None:
    (problem,) = problems("id: !!python/object/apply:os.system [echo hi]\n")
    assert problem.startswith("x.yaml:1: YAML syntax error at column 5: could not determine")


# --- several problems at once ---------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_on_its_line(in_tmp: Path) -> None:
    text = """\
id: Test Survey
version: 1
languages: [da, en]
title: {da: Test, en: Test}
intro: {da: Hej, en: Hello}
thanks: {da: Tak}
questions:
  - id: a
    type: yes_no
    requird: true
    text: A
  - id: b
    type: scale
    min: 3
    max: 3
    text: B
  - id: c
    type: text
    text: C
    show_if: {question: d, equals: x}
"""
    assert problems(text) == [
        "x.yaml:1: id: must be a slug: lowercase letters, digits, '-' and '_' "
        "(for example 'age-group')",
        "x.yaml:6: thanks: missing the 'en' text",
        "x.yaml:10: questions[0].requird: unknown key 'requird' (did you mean 'required'?)",
        "x.yaml:14: questions[1].min: min (3) must be less than max (3)",
        "x.yaml:20: questions[2].show_if.question: refers to 'd', which is not a question here",
    ]


def test_load_survey_raises_with_every_problem(in_tmp: Path) -> None:
    Path("bad.yaml").write_text("id: t\n", encoding="utf-8")
    with pytest.raises(SurveyError) as caught:
        load_survey("bad.yaml")
    assert len(caught.value.report.problems) == 6
    assert "bad.yaml:1: title: is required but missing" in str(caught.value)


def test_the_documented_examples_are_true(in_tmp: Path) -> None:
    doc = (ROOT / "docs" / "survey-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, re.DOTALL)
    complete = validate_text(blocks[0], "example.yaml")
    assert [str(p) for p in complete.problems] == []
    assert complete.survey is not None
    shown = complete.survey.questions
    assert {q.type for q in shown} == set(QUESTION_TYPES), "the complete example misses a type"
    conditions = [q.show_if for q in shown if q.show_if is not None]
    assert {c.in_ is not None for c in conditions} == {True, False}, "equals and in, both"
    assert complete.survey.ideas is not None and complete.survey.followup is not None
    (broken,) = [b for b in blocks if "singel_choice" in b]
    Path("borgermoede.yaml").write_text(broken, encoding="utf-8")
    result = run_cli("validate", "borgermoede.yaml")
    assert result.exit_code == 1
    documented = [line for line in doc.splitlines() if line.startswith("borgermoede.yaml")]
    assert result.stderr.splitlines() == documented


# --- the CLI --------------------------------------------------------------------------------


def test_cli_valid_files_exit_0_with_one_line_each() -> None:
    files = sorted(str(p) for p in (ROOT / "surveys").glob("*.yaml"))
    result = run_cli("validate", *files)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(files)
    for name, line in zip(files, lines, strict=True):
        assert line.startswith(f"{name}: ok: ")
    assert result.stderr == ""
    assert lines[0].endswith(
        "gentofte-moedes v1, 9 questions, languages da, en, "
        "idea cards with 7 themes, follow-up QR code, contact step"
    )


def test_cli_exits_1_when_any_file_is_invalid(in_tmp: Path) -> None:
    bad = survey("  - {id: a, type: dropdown, text: A}\n")
    Path("bad.yaml").write_text(bad, encoding="utf-8")
    result = run_cli("validate", str(GENTOFTE), "bad.yaml", "missing.yaml")
    assert result.exit_code == 1
    (ok_line,) = result.stdout.splitlines()
    assert ok_line.startswith(f"{GENTOFTE}: ok: gentofte-moedes v1")
    assert result.stderr.splitlines() == [
        "bad.yaml:8: questions[0].type: unknown question type 'dropdown'; the types are "
        "single_choice, multiple_choice, scale, yes_no, text, number, info, contact",
        "bad.yaml: 1 problem",
        "missing.yaml:1: no such file",
        "missing.yaml: 1 problem",
    ]


def test_cli_as_a_real_process(in_tmp: Path) -> None:
    Path("bad.yaml").write_bytes(b"\xff\xfe garbage")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run(
        [sys.executable, "-m", "kiosk", "validate", str(GENTOFTE)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"{GENTOFTE}: ok: gentofte-moedes v1")
    bad = subprocess.run(
        [sys.executable, "-m", "kiosk", "validate", "bad.yaml"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 1
    assert "Traceback" not in bad.stdout + bad.stderr
    assert bad.stderr.startswith("bad.yaml:1: the file is not UTF-8 text")


# --- no traceback, whatever the input -------------------------------------------------------

GARBAGE = [
    "",
    "\n\n",
    ":",
    "- - - -",
    "{{{{",
    "]]]",
    "id: [",
    "? [a, b]\n: c\n",
    "questions: [[[[]]]]\n",
    "questions:\n  - type: [single_choice]\n    id: {a: 1}\n",
    "questions:\n  - {id: [x], type: text, text: A}\n  - {id: [x], type: text, text: A}\n",
    "questions:\n  - {id: a, type: text, text: A, show_if: {question: [a], equals: 1}}\n",
    "questions:\n  - {id: a, type: single_choice, choices: [{id: [x]}, 5, null]}\n"
    "  - {id: b, type: text, text: B, show_if: {question: a, in: [{}, []]}}\n",
    "ideas: {themes: [{id: [t]}, {id: [t]}], questions: [{id: {}}], allow_contact: true}\n",
    "followup: {url: 5, text: []}\n",
    "languages: [{da: 1}]\ntitle: {1: x, null: y}\n",
    "id: t\n---\nid: u\n",
    "%YAML 9.9\n---\nid: t\n",
    "a: *undefined\n",
    "a: &x 1\nb: *x\n<<: {c: 1}\n",
    "<<: [*nope]\n",
    "[" * 200 + "]" * 200,
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 300)),
    "\x00\x01\x02",
    "id: t\r\nversion: 1\r\n",
    "\ufeffid: t\n",
    "title: !!binary aGVsbG8=\n",
    "version: 1e400\nid: .nan\n",
    "version: 99999999999999999999999999999999\n",
    "questions:\n  - {id: s, type: scale, min: 1e10, max: -1e10, text: S}\n",
]


@pytest.mark.parametrize("text", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_raises(in_tmp: Path, text: str) -> None:
    Path("g.yaml").write_text(text, encoding="utf-8")
    result = run_cli("validate", "g.yaml")
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output


def _check_text(text: str) -> None:
    report = validate_text(text, "h.yaml")
    assert report.ok or report.problems
    for problem in report.problems:
        assert problem.file == "h.yaml"
        assert problem.line >= 1


YAMLISH = st.lists(
    st.sampled_from(
        [
            "id",
            "type",
            "questions",
            "choices",
            "show_if",
            "text",
            ": ",
            "- ",
            "\n",
            "  ",
            "{",
            "}",
            "[",
            "]",
            ",",
            "&a ",
            "*a",
            "!!str ",
            "'",
            '"',
            "#",
            "|",
            ">",
            "?",
            "single_choice",
            "scale",
            "true",
            "null",
            "1",
            "-3",
            "æøå",
            "\t",
            "%",
            "@",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(st.characters(exclude_categories=["Cs"]), max_size=200), YAMLISH))
def test_random_yamlish_text_never_raises(text: str) -> None:
    _check_text(text)


KEYS = st.sampled_from(
    [
        "id",
        "version",
        "title",
        "intro",
        "thanks",
        "languages",
        "ref_prefix",
        "questions",
        "ideas",
        "followup",
        "type",
        "text",
        "help",
        "required",
        "show_if",
        "question",
        "equals",
        "in",
        "choices",
        "max_choices",
        "min",
        "max",
        "min_label",
        "max_label",
        "style",
        "max_length",
        "prompt",
        "themes",
        "allow_contact",
        "consent",
        "url",
        "da",
        "en",
    ]
) | st.text(max_size=5)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=False)
    | st.sampled_from(["single_choice", "yes_no", "scale", "text", "info", "a", "x", "da"])
    | st.text(max_size=10)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_random_nested_mappings_never_raise(data: dict[str, Any]) -> None:
    _check_text(yaml.safe_dump(data, allow_unicode=True))


def _mutate(data: Any, draw: Any) -> Any:
    """Replace, drop or add one value somewhere in a copy of ``data``."""
    data = copy.deepcopy(data)
    here = data
    while True:
        if isinstance(here, dict) and here:
            key = draw(st.sampled_from(sorted(here, key=str)))
        elif isinstance(here, list) and here:
            key = draw(st.integers(0, len(here) - 1))
        else:
            return data
        child = here[key]
        if not isinstance(child, dict | list) or draw(st.booleans()):
            action = draw(st.sampled_from(["replace", "drop", "add"]))
            if action == "replace":
                here[key] = draw(VALUES)
            elif action == "drop":
                del here[key]
            elif isinstance(here, dict):
                here[draw(KEYS)] = draw(VALUES)
            else:
                here.append(draw(VALUES))
            return data
        here = child


GENTOFTE_DATA = yaml.safe_load(GENTOFTE.read_text(encoding="utf-8"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_survey_never_raises(data: st.DataObject) -> None:
    mutated = GENTOFTE_DATA
    for _ in range(data.draw(st.integers(1, 4))):
        mutated = _mutate(mutated, data.draw)
    _check_text(yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False))


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_random_files_through_the_cli_exit_0_or_1(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        result = run_cli("validate", str(path))
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output
