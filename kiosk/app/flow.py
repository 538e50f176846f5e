"""The visitor's way through a survey as pure Python: steps, answers, show_if, back and next.

No Textual here, so every rule (what is visible, what may be skipped, what is saved)
is tested without a screen, and the UI only draws :attr:`VisitFlow.current`.

A flow is a list of :class:`Step`. Survey questions are :class:`QuestionStep`; the idea
card (:mod:`kiosk.app.idea_flow`) adds steps whose values go into the record's ``idea`` or
the visitor's contact details rather than into ``answers`` (:attr:`Step.part`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from kiosk.records import AnswerValue, now_iso

if TYPE_CHECKING:
    from kiosk.i18n import Translator
    from kiosk.survey.model import NumberQuestion, Question, Survey

#: How an answer is checked before the visitor may move on: None means fine, else a
#: message key of the translation files (with its format values).
AnswerProblem = tuple[str, dict[str, Any]]


class Step:
    """One screenful of the visitor's way. Subclasses say what they show and keep."""

    #: The answer key this step writes into :attr:`VisitFlow.answers`.
    id: str
    required: bool = False
    #: Whether the step counts in "Question 2 of 6" (info screens do not).
    counted: bool = True
    #: Whether the step ends with one tap (a choice), so a pick also moves on.
    single_answer: bool = False
    #: Where the value goes: the record's ``answers``, or (idea cards) its ``idea``, the
    #: consent, or the contact details kept apart from the record.
    part: Literal["answers", "idea", "consent", "contact"] = "answers"
    #: The answer widget, when not the one of the question's type (idea cards).
    widget: str | None = None

    def visible(self, answers: dict[str, AnswerValue]) -> bool:
        return True

    def check(self, value: AnswerValue | None) -> AnswerProblem | None:
        """A problem with this answer that keeps the visitor here, or None."""
        if self.required and is_empty(value):
            return ("question.required", {})
        return None


@dataclass(eq=False)
class QuestionStep(Step):
    """A survey question (any type of the survey format)."""

    question: Question

    def __post_init__(self) -> None:
        self.id = self.question.id
        self.required = bool(self.question.required)
        self.counted = self.question.type != "info"
        self.single_answer = self.question.type in ("single_choice", "yes_no", "scale")

    @property
    def type(self) -> str:
        return self.question.type

    def visible(self, answers: dict[str, AnswerValue]) -> bool:
        return self.question.shown_with(answers)

    def check(self, value: AnswerValue | None) -> AnswerProblem | None:
        problem = super().check(value)
        if problem or is_empty(value) or self.type != "number":
            return problem
        return number_problem(self.question, value)


def number_problem(question: NumberQuestion, value: AnswerValue | None) -> AnswerProblem | None:
    """Why a number answer is refused (out of range), or None."""
    if not isinstance(value, int) or isinstance(value, bool):
        return ("question.not_a_number", {})
    low, high = question.min, question.max
    if low is not None and high is not None and not low <= value <= high:
        return ("question.number_range", {"min": low, "max": high})
    if low is not None and value < low:
        return ("question.number_min", {"min": low})
    if high is not None and value > high:
        return ("question.number_max", {"max": high})
    return None


def is_empty(value: AnswerValue | None) -> bool:
    return value is None or value == "" or value == []


@dataclass
class VisitFlow:
    """One visitor's way through a list of steps, with the answers given so far."""

    steps: Sequence[Step]
    kind: Literal["response", "idea"] = "response"
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    started_at: str = field(default_factory=now_iso)
    clock: Callable[[], float] = time.monotonic
    _position: int = 0
    _started: float = 0.0
    #: Which showing of a step this is: every move (next, back) starts a new turn. An
    #: answer is taken only with the turn it was given in (:meth:`answer`), so input meant
    #: for a step that is gone can never land on the step that followed it.
    turn: int = 0

    def __post_init__(self) -> None:
        self._started = self.clock()
        self._position = self._next_visible(0)

    # -- where the visitor is ----------------------------------------------------------
    @property
    def current(self) -> Step:
        return self.steps[self._position]

    @property
    def finished(self) -> bool:
        return self._position >= len(self.steps)

    def visible_steps(self) -> list[Step]:
        """The steps shown with the answers as they are now (show_if applied in order)."""
        shown: list[Step] = []
        seen: dict[str, AnswerValue] = {}
        for step in self.steps:
            if step.visible(seen):
                shown.append(step)
                if step.id in self.answers:
                    seen[step.id] = self.answers[step.id]
        return shown

    def progress(self) -> tuple[int, int]:
        """(number, total) of the counted step shown now, e.g. (2, 6)."""
        counted = [s for s in self.visible_steps() if s.counted]
        number = next((i + 1 for i, s in enumerate(counted) if s is self.current), 0)
        return number, len(counted)

    def is_first(self) -> bool:
        return self._previous_visible(self._position - 1) is None

    def is_last(self) -> bool:
        return self._next_visible(self._position + 1) >= len(self.steps)

    # -- answering -----------------------------------------------------------------------
    def answer(
        self, value: AnswerValue | None, *, step: Step | None = None, turn: int | None = None
    ) -> bool:
        """Set (or with an empty value, clear) the answer of the current step.

        ``step`` and ``turn`` say what the answer was given for: when either is not the
        current one (the visitor has moved on since), the answer is refused and False is
        returned. After the last step nothing is taken.
        """
        if self.finished:
            return False
        if step is not None and step is not self.current:
            return False
        if turn is not None and turn != self.turn:
            return False
        if is_empty(value):
            self.answers.pop(self.current.id, None)
        else:
            self.answers[self.current.id] = value  # type: ignore[assignment]
        return True

    def value(self) -> AnswerValue | None:
        if self.finished:
            return None
        return self.answers.get(self.current.id)

    def problem(self) -> AnswerProblem | None:
        if self.finished:
            return None
        return self.current.check(self.value())

    def can_skip(self) -> bool:
        """Whether Next would skip: optional and unanswered (Next then reads "Skip")."""
        if self.finished:
            return False
        step = self.current
        return step.counted and not step.required and is_empty(self.value())

    def next(self) -> bool:
        """Move on if the current answer is acceptable; False keeps the visitor here.

        Past the last step it stays finished and returns False (a second Enter in a burst
        must not move anything).
        """
        if self.finished or self.problem() is not None:
            return False
        self._position = self._next_visible(self._position + 1)
        self.turn += 1
        return True

    def back(self) -> bool:
        """Go back one visible step; False at the first one (the UI then leaves the survey)."""
        if self.finished:
            return False
        previous = self._previous_visible(self._position - 1)
        if previous is None:
            return False
        self._position = previous
        self.turn += 1
        return True

    # -- what is saved -------------------------------------------------------------------
    def values_of(self, part: str) -> dict[str, AnswerValue]:
        """Values of the visible steps of one part: a value a changed show_if hid is dropped."""
        visible_ids = {s.id for s in self.visible_steps() if s.part == part}
        return {k: v for k, v in self.answers.items() if k in visible_ids and not is_empty(v)}

    def answers_to_save(self) -> dict[str, AnswerValue]:
        """The record's ``answers``: visible questions only."""
        return self.values_of("answers")

    def answered_any(self) -> bool:
        return bool(self.answers_to_save())

    def worth_saving(self) -> bool:
        """Whether an abandoned visit leaves a partial record (something was answered)."""
        return self.answered_any()

    def record_fields(self) -> dict[str, Any]:
        """Fields of the record beyond the answers (an idea card adds ``idea``)."""
        return {}

    def contact(self) -> dict[str, str] | None:
        """Contact details the visitor consented to give, stored apart; None without."""
        return None

    def elapsed(self) -> float:
        return self.clock() - self._started

    # -- helpers -------------------------------------------------------------------------
    def _visible_now(self, index: int) -> bool:
        seen: dict[str, AnswerValue] = {}
        for step in self.steps[:index]:
            if step.visible(seen) and step.id in self.answers:
                seen[step.id] = self.answers[step.id]
        return self.steps[index].visible(seen)

    def _next_visible(self, start: int) -> int:
        index = start
        while index < len(self.steps) and not self._visible_now(index):
            index += 1
        return index

    def _previous_visible(self, start: int) -> int | None:
        index = start
        while index >= 0:
            if self._visible_now(index):
                return index
            index -= 1
        return None


def survey_flow(
    survey: Survey, clock: Callable[[], float] = time.monotonic, t: Translator | None = None
) -> VisitFlow:
    """A visitor's flow through a survey's questions (``t``: the visitor's translations)."""
    if any(q.type == "contact" for q in survey.questions):
        from kiosk.app.contact import survey_contact_flow

        return survey_contact_flow(survey, t, clock)
    return VisitFlow([QuestionStep(q) for q in survey.questions], kind="response", clock=clock)
