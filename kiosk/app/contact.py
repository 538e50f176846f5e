"""Contact details a visitor chooses to give: consent, name, e-mail or phone.

One piece of code serves the idea card's contact and a survey's ``contact`` question:
the same consent step (yes or no, in words that say what yes means), the same name and
e-mail/phone fields and the same check of what was typed. Values of these steps never go
into the record's ``answers``: :func:`contact_details` collects them for the store, which
keeps them apart from the record (so sync never sends them, and exports include them only
with ``--include-contact``).

Step ids contain a colon, which survey ids cannot (they are slugs), so a survey question
can never collide with them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kiosk.app.flow import AnswerProblem, QuestionStep, Step, VisitFlow
from kiosk.records import AnswerValue

if TYPE_CHECKING:
    from kiosk.i18n import Translator
    from kiosk.survey.model import Survey, TextQuestion

NAME, REACH = "contact:name", "contact:reach"
#: The consent step of a survey's contact question (the idea card's is ``idea:consent``).
SURVEY_CONSENT = "contact:consent"
#: Limits of the contact fields (as the store keeps them).
NAME_MAX, REACH_MAX = 100, 100

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
    """A step whose value is not one of the record's ``answers`` (idea card, contact)."""

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
    #: The id of the consent step this step waits for.
    consent_key: str = "idea:consent"

    def visible(self, answers: dict[str, AnswerValue]) -> bool:
        return answers.get(self.consent_key) is True

    def check(self, value: AnswerValue | None) -> AnswerProblem | None:
        problem = super().check(value)
        if problem is None and self.id == REACH and parse_reach(str(value)) is None:
            return ("idea.reach_invalid", {})
        return problem


def card_text_question(
    t: Translator, qid: str, texts: tuple[str, str], max_length: int, required: bool = True
) -> TextQuestion:
    """A text question of the kiosk's own (a card's title, a contact's name): its heading
    and help from the translations, in ``t``'s language."""
    from kiosk.survey.model import TextQuestion

    heading, help_text = texts
    return TextQuestion(
        id=qid,
        type="text",
        text=t(heading),
        help=t(help_text),
        required=required,
        max_length=max_length,
    )


def contact_steps(
    t: Translator,
    *,
    consent_key: str,
    heading: Any,
    consent_text: Any,
    show_if: Any = None,
    reach_help: str = "idea.reach_help",
    consent_required: bool = True,
) -> list[Step]:
    """Consent (yes/no), then name and e-mail/phone, shown only after a yes.

    ``heading`` is the consent question and ``consent_text`` says what is kept, why and for
    how long (both as the survey file has them: a text or a mapping language -> text).
    An optional consent (a survey's) may be skipped, which is a no.
    """
    from kiosk.survey.model import YesNoQuestion

    consent = YesNoQuestion(
        id="consent",
        type="yes_no",
        text=heading,
        help=consent_text,
        required=consent_required,
        show_if=show_if,
    )

    return [
        CardStep(consent, key=consent_key, part="consent", widget="consent"),
        ContactStep(
            card_text_question(t, "name", ("idea.name", "idea.name_help"), NAME_MAX),
            key=NAME,
            consent_key=consent_key,
            widget="text",  # a name or an address is one line, however long it may be
        ),
        ContactStep(
            card_text_question(t, "reach", ("idea.reach", reach_help), REACH_MAX),
            key=REACH,
            consent_key=consent_key,
            widget="text",
        ),
    ]


def contact_details(flow: VisitFlow) -> dict[str, str] | None:
    """Name and e-mail or phone, only when the visitor said yes (on a step still shown)
    and gave both; None otherwise."""
    if not any(value is True for value in flow.values_of("consent").values()):
        return None
    values = flow.values_of("contact")
    reach = parse_reach(str(values.get(REACH, "")))
    if reach is None or not values.get(NAME):
        return None
    kind, value = reach
    return {"name": str(values[NAME]), kind: value}


class SurveyFlow(VisitFlow):
    """A survey's flow with a contact step: the contact is kept apart from the answers."""

    def contact(self) -> dict[str, str] | None:
        return contact_details(self)


def survey_contact_flow(
    survey: Survey, t: Translator | None = None, clock: Callable[[], float] = time.monotonic
) -> VisitFlow:
    """A survey's flow where each ``contact`` question becomes consent, name and reach."""
    from kiosk.i18n import Translator

    t = t or Translator(survey.default_language)
    steps: list[Step] = []
    for question in survey.questions:
        if question.type != "contact":
            steps.append(QuestionStep(question))
            continue
        steps += contact_steps(
            t,
            consent_key=SURVEY_CONSENT,
            heading=question.text,
            consent_text=question.help,
            show_if=question.show_if,
            reach_help="contact.reach_help",
            consent_required=False,
        )
    return SurveyFlow(steps, kind="response", clock=clock)
