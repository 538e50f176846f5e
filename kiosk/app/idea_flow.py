"""The idea card as a flow: theme, title, description, about-you questions, consent, contact.

Each step is a :class:`~kiosk.app.flow.QuestionStep` over an ordinary survey question, so
the question screen, its answer widgets, digit keys, Back and the idle reset all work as
for a survey. What differs is where the values go (:attr:`Step.part`): theme, title and
description into the record's ``idea``; name and e-mail or phone into contact details that
are stored apart from the record, and only after the visitor said yes on the consent step
(those steps are shared with a survey's contact question: :mod:`kiosk.app.contact`).

Step ids contain a colon, which survey ids cannot (they are slugs), so an about-you
question can never collide with them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.app.contact import (
    NAME,
    NAME_MAX,
    REACH,
    REACH_MAX,
    CardStep,
    ContactStep,
    card_text_question,
    contact_details,
    contact_steps,
    parse_reach,
)
from kiosk.app.flow import QuestionStep, Step, VisitFlow
from kiosk.i18n import Translator

if TYPE_CHECKING:
    from kiosk.survey.model import Survey

#: Shared with a survey's contact step; named here too for the card's callers.
__all__ = [
    "CONSENT",
    "NAME",
    "NAME_MAX",
    "REACH",
    "REACH_MAX",
    "CardStep",
    "ContactStep",
    "idea_flow",
    "parse_reach",
]

THEME, TITLE, DESCRIPTION = "idea:theme", "idea:title", "idea:description"
CONSENT = "idea:consent"
#: Limits of an idea card (as the record schema, :class:`kiosk.records.IdeaContent`).
TITLE_MAX, DESCRIPTION_MAX = 80, 1000


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
        return contact_details(self)


def idea_flow(
    survey: Survey, t: Translator, clock: Callable[[], float] = time.monotonic
) -> IdeaFlow:
    """The idea card of ``survey`` (which has an ``ideas`` section), texts in ``t``'s language."""
    from kiosk.survey.model import Choice, SingleChoiceQuestion

    ideas = survey.ideas
    theme = SingleChoiceQuestion(
        id="theme",
        type="single_choice",
        text=ideas.prompt,
        help=t("idea.theme_help"),
        required=True,
        choices=[Choice(id=th.id, text=th.text) for th in ideas.themes],
    )

    title = card_text_question(t, "title", ("idea.title", "idea.title_help"), TITLE_MAX, True)
    description = card_text_question(
        t, "description", ("idea.description", "idea.description_help"), DESCRIPTION_MAX, False
    )
    steps: list[Step] = [
        CardStep(theme, key=THEME),
        CardStep(title, key=TITLE),
        CardStep(description, key=DESCRIPTION, widget="area"),
        *(QuestionStep(q) for q in ideas.questions),
    ]
    if ideas.allow_contact:
        steps += contact_steps(
            t, consent_key=CONSENT, heading=t("idea.consent"), consent_text=ideas.consent
        )
    return IdeaFlow(steps, kind="idea", clock=clock)
