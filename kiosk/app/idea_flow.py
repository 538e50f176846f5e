"""The idea card as a flow: theme, title, description, about-you questions, consent, contact.

Each step is a :class:`~kiosk.app.flow.QuestionStep` over an ordinary survey question, so
the question screen, its answer widgets, digit keys, Back and the idle reset all work as
for a survey. What differs is where the values go (:attr:`Step.part`): theme, title and
description into the record's ``idea``; name and e-mail or phone into contact details that
are stored apart from the record, and only after the visitor said yes on the consent step.

Step ids contain a colon, which survey ids cannot (they are slugs), so an about-you
question can never collide with them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.app.flow import AnswerValue, Problem, QuestionStep, Step, VisitFlow
from kiosk.i18n import Translator

THEME, TITLE, DESCRIPTION = "idea:theme", "idea:title", "idea:description"
CONSENT, NAME, REACH = "idea:consent", "contact:name", "contact:reach"
#: Limits of an idea card (as the record schema, :class:`kiosk.records.IdeaContent`).
TITLE_MAX, DESCRIPTION_MAX, NAME_MAX, REACH_MAX = 80, 1000, 100, 100

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)*\.[^@\s.]{2,}$")
_PHONE = re.compile(r"^\+?\d{8,15}$")
_PHONE_PUNCTUATION = re.compile(r"[\s\-().]")


def parse_reach(text: str) -> tuple[Literal["email", "phone"], str] | None:
    """``("email", ...)`` or ``("phone", ...)`` for a plausible address or number, else None.

    Plausible, not verified: an e-mail has one @ and a dot in the domain; a phone number has
    8 to 15 digits, optionally a leading +, spaces and dashes allowed (and removed).
    """
    value = text.strip()
    if "@" in value:
        return ("email", value) if _EMAIL.match(value) else None
    digits = _PHONE_PUNCTUATION.sub("", value)
    return ("phone", digits) if _PHONE.match(digits) else None


@dataclass(eq=False)
class CardStep(QuestionStep):
    """A step of the idea card whose value is not one of the record's ``answers``."""

    #: The step's id in the flow (``idea:title``), not the question's.
    key: str = ""
    part: Literal["answers", "idea", "consent", "contact"] = "idea"
    widget: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.id = self.key


@dataclass(eq=False)
class ContactStep(CardStep):
    """Name or e-mail/phone: shown only after the visitor said yes to being contacted."""

    part: Literal["answers", "idea", "consent", "contact"] = "contact"

    def visible(self, answers: dict[str, AnswerValue]) -> bool:
        return answers.get(CONSENT) is True

    def check(self, value: AnswerValue | None) -> Problem | None:
        problem = super().check(value)
        if problem is None and self.id == REACH and parse_reach(str(value)) is None:
            return ("idea.reach_invalid", {})
        return problem


class IdeaFlow(VisitFlow):
    """A visitor's way through an idea card; the record gets ``idea``, not just answers."""

    def idea(self) -> dict[str, Any]:
        values = self.values_of("idea")
        idea: dict[str, Any] = {"theme": values.get(THEME), "title": values.get(TITLE)}
        idea["description"] = values.get(DESCRIPTION, "")
        return idea

    def record_fields(self) -> dict[str, Any]:
        return {"idea": self.idea()}

    def worth_saving(self) -> bool:
        """An abandoned card is kept once it has a theme and a title: then it is an idea."""
        idea = self.idea()
        return bool(idea["theme"] and idea["title"])

    def contact(self) -> dict[str, str] | None:
        """Name and e-mail or phone, only when the visitor said yes and gave them."""
        if self.values_of("consent").get(CONSENT) is not True:
            return None
        values = self.values_of("contact")
        reach = parse_reach(str(values.get(REACH, "")))
        if reach is None or not values.get(NAME):
            return None
        kind, value = reach
        return {"name": str(values[NAME]), kind: value}


def idea_flow(survey: Any, t: Translator, clock: Callable[[], float] = time.monotonic) -> IdeaFlow:
    """The idea card of ``survey`` (which has an ``ideas`` section), texts in ``t``'s language."""
    from kiosk.survey.model import (
        Choice,
        SingleChoiceQuestion,
        TextQuestion,
        YesNoQuestion,
    )

    ideas = survey.ideas
    theme = SingleChoiceQuestion(
        id="theme",
        type="single_choice",
        text=ideas.prompt,
        help=t("idea.theme_help"),
        required=True,
        choices=[Choice(id=th.id, text=th.text) for th in ideas.themes],
    )

    def text(qid: str, texts: tuple[str, str], max_length: int, required: bool) -> TextQuestion:
        heading, help_text = texts
        return TextQuestion(
            id=qid,
            type="text",
            text=t(heading),
            help=t(help_text),
            required=required,
            max_length=max_length,
        )

    title = text("title", ("idea.title", "idea.title_help"), TITLE_MAX, True)
    description = text(
        "description", ("idea.description", "idea.description_help"), DESCRIPTION_MAX, False
    )
    steps: list[Step] = [
        CardStep(theme, key=THEME),
        CardStep(title, key=TITLE),
        CardStep(description, key=DESCRIPTION, widget="area"),
        *(QuestionStep(q) for q in ideas.questions),
    ]
    if ideas.allow_contact:
        consent = YesNoQuestion(
            id="consent",
            type="yes_no",
            text=t("idea.consent"),
            help=ideas.consent,
            required=True,
        )
        steps += [
            CardStep(consent, key=CONSENT, part="consent", widget="consent"),
            ContactStep(text("name", ("idea.name", "idea.name_help"), NAME_MAX, True), key=NAME),
            ContactStep(
                text("reach", ("idea.reach", "idea.reach_help"), REACH_MAX, True), key=REACH
            ),
        ]
    return IdeaFlow(steps, kind="idea", clock=clock)
