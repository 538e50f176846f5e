"""The visit flow without a screen: show_if both ways, back and next, required, what is saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.app.flow import VisitFlow, survey_flow
from kiosk.survey import load_survey

SURVEY = """\
id: flow-test
version: 1
languages: [da, en]
title: {da: Test, en: Test}
intro: {da: Intro, en: Intro}
thanks: {da: Tak, en: Thanks}
questions:
  - id: hello
    type: info
    text: {da: Hej, en: Hello}
  - id: pet
    type: single_choice
    required: true
    text: {da: "Dyr?", en: "Pet?"}
    choices:
      - {id: cat, text: {da: Kat, en: Cat}}
      - {id: dog, text: {da: Hund, en: Dog}}
  - id: dog-name
    type: text
    show_if: {question: pet, equals: dog}
    text: {da: "Hundens navn?", en: "Dog's name?"}
  - id: age
    type: number
    min: 10
    max: 110
    text: {da: "Alder?", en: "Age?"}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def flow(tmp_path: Path) -> VisitFlow:
    path = tmp_path / "s.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    return survey_flow(load_survey(path), clock=Clock())


def ids(flow: VisitFlow) -> list[str]:
    return [s.id for s in flow.visible_steps()]


def test_info_is_not_counted_in_progress(flow: VisitFlow) -> None:
    assert flow.current.id == "hello"
    assert flow.progress() == (0, 2)
    assert flow.next()
    assert flow.progress() == (1, 2)


def test_required_question_keeps_the_visitor_until_answered(flow: VisitFlow) -> None:
    flow.next()
    assert not flow.can_skip()
    assert not flow.next()
    assert flow.problem() == ("question.required", {})
    assert flow.current.id == "pet"
    flow.answer("cat")
    assert flow.next()
    assert flow.current.id == "age"


def test_show_if_shows_and_hides_and_hidden_answers_are_not_saved(flow: VisitFlow) -> None:
    flow.next()
    flow.answer("dog")
    assert ids(flow) == ["hello", "pet", "dog-name", "age"]
    flow.next()
    assert flow.current.id == "dog-name"
    flow.answer("Fido")
    flow.next()
    assert flow.current.id == "age"
    # back twice, change the answer: the dependent question disappears and is not saved
    assert flow.back()
    assert flow.current.id == "dog-name"
    assert flow.back()
    flow.answer("cat")
    assert ids(flow) == ["hello", "pet", "age"]
    flow.next()
    assert flow.current.id == "age"
    assert flow.answers_to_save() == {"pet": "cat"}
    # and back again to dog: it shows again, with its answer
    flow.back()
    flow.answer("dog")
    flow.next()
    assert flow.current.id == "dog-name"
    assert flow.value() == "Fido"


def test_back_from_the_first_step_is_refused(flow: VisitFlow) -> None:
    assert flow.is_first()
    assert not flow.back()


def test_number_out_of_range_is_refused_with_the_range(flow: VisitFlow) -> None:
    flow.next()
    flow.answer("cat")
    flow.next()
    flow.answer(5)
    assert flow.problem() == ("question.number_range", {"min": 10, "max": 110})
    assert not flow.next()
    flow.answer(42)
    assert flow.is_last()
    assert flow.next()
    assert flow.finished


def test_optional_unanswered_question_can_be_skipped_and_empty_answers_clear(
    flow: VisitFlow,
) -> None:
    flow.next()
    flow.answer("cat")
    flow.next()
    assert flow.can_skip()
    flow.answer(20)
    assert not flow.can_skip()
    flow.answer(None)
    assert flow.can_skip()
    assert flow.answers_to_save() == {"pet": "cat"}


def test_elapsed_uses_the_flow_clock(flow: VisitFlow) -> None:
    flow.clock.now += 2.5  # type: ignore[attr-defined]
    assert flow.elapsed() == pytest.approx(2.5)


def test_an_answer_for_a_turn_that_is_gone_is_refused(flow: VisitFlow) -> None:
    flow.next()
    pet, turn = flow.current, flow.turn
    assert flow.answer("dog", step=pet, turn=turn)
    assert flow.next()
    assert flow.current.id == "dog-name"
    # a second pick meant for "pet", handled after the move: never lands on "dog-name"
    assert not flow.answer("cat", step=pet, turn=turn)
    assert not flow.answer("cat", step=flow.current, turn=turn)
    assert not flow.answer("cat", step=pet, turn=flow.turn)
    assert flow.answers == {"pet": "dog"}
    # back to "pet" is a new turn: the old one still counts for nothing
    assert flow.back()
    assert not flow.answer("cat", step=pet, turn=turn)
    assert flow.answer("cat", step=pet, turn=flow.turn)


def test_after_the_last_step_nothing_moves_and_nothing_is_taken(flow: VisitFlow) -> None:
    flow.next()
    flow.answer("cat")
    flow.next()
    flow.answer(42)
    assert flow.next()
    assert flow.finished
    assert not flow.answer(43)
    assert not flow.next() and not flow.back()
    assert flow.value() is None and flow.problem() is None and not flow.can_skip()
    assert flow.answers_to_save() == {"pet": "cat", "age": 42}
