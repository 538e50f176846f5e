"""The survey format: the models an organiser's YAML file is validated against.

The models are the single source of truth for the format: ``kiosk validate``
checks files with them and ``kiosk schema`` prints their JSON Schema, so an
editor's completion and the validator can never disagree about the structure.
Checks that relate one part of a file to another (duplicate ids, ``show_if``
references, ``min < max``) live in :mod:`kiosk.survey.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from kiosk.ids import LANG_PATTERN, SLUG_MAX_LENGTH, SLUG_PATTERN  # shared with records

#: Characters of reference codes: no look-alikes (0/O, 1/I/L).
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

Slug = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        min_length=1,
        max_length=SLUG_MAX_LENGTH,
        description="Lowercase letters, digits, '-' and '_'.",
    ),
]


def _text_shape(value: Any) -> Any:
    """Accept a plain string or a mapping language -> string, and nothing else."""
    if isinstance(value, str):
        if not value.strip():
            raise PydanticCustomError("empty_text", "the text is empty")
        return value
    if isinstance(value, dict):
        if not value:
            raise PydanticCustomError("empty_text", "the text is empty")
        for lang, text in value.items():
            if not isinstance(lang, str):
                raise PydanticCustomError(
                    "text_shape",
                    "{lang} is not a language code; a translated text maps a language code "
                    "to a text (da: ..., en: ...)",
                    {"lang": repr(lang)},
                )
            if text is None and not re.fullmatch(LANG_PATTERN, lang):
                raise PydanticCustomError(
                    "text_shape",
                    "{lang} is not a language code; a text with a comma inside { ... } "
                    "must be in quotes",
                    {"lang": repr(lang)},
                )
            if text is None or (isinstance(text, str) and not text.strip()):
                raise PydanticCustomError(
                    "empty_text", "the {lang} text is empty", {"lang": repr(lang)}
                )
            if isinstance(text, bool | int | float):
                raise PydanticCustomError(
                    "text_shape",
                    "YAML reads the {lang} text as {value}, not as a text: put it in quotes",
                    {"lang": repr(lang), "value": _yaml_scalar(text)},
                )
            if not isinstance(text, str):
                raise PydanticCustomError(
                    "text_shape",
                    "the {lang} text must be a text, not a list or mapping",
                    {"lang": repr(lang)},
                )
        return value
    if isinstance(value, bool | int | float):
        raise PydanticCustomError(
            "text_shape",
            "YAML reads this as {value}, not as a text: put it in quotes",
            {"value": _yaml_scalar(value)},
        )
    raise PydanticCustomError(
        "text_shape", "must be a text, or a mapping of language code to text (da: ..., en: ...)"
    )


def _yaml_scalar(value: bool | int | float) -> str:
    """How YAML understood an unquoted word such as Yes, No or 10."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"the number {value}"


def _text_languages(value: str | dict[str, str], info: ValidationInfo) -> str | dict[str, str]:
    """A translated text must cover every language the survey lists, and only those."""
    languages = (info.context or {}).get("languages")
    if not languages or isinstance(value, str):
        return value
    missing = [lang for lang in languages if lang not in value]
    if missing:
        names = ", ".join(repr(lang) for lang in missing)
        raise PydanticCustomError(
            "missing_translation", "missing the {names} text", {"names": names}
        )
    extra = [lang for lang in value if lang not in languages]
    if extra:
        names = ", ".join(repr(lang) for lang in extra)
        raise PydanticCustomError(
            "extra_translation",
            "has a {names} text, but the survey's languages are {langs}",
            {"names": names, "langs": ", ".join(languages)},
        )
    return value


_NON_BLANK = r"\S"

LocalizedText = Annotated[
    str | dict[str, str],
    BeforeValidator(_text_shape),
    AfterValidator(_text_languages),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _NON_BLANK},
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": LANG_PATTERN},
                    "additionalProperties": {"type": "string", "pattern": _NON_BLANK},
                },
            ]
        }
    ),
    Field(description="A text, or a mapping of language code to text for every survey language."),
]


class Strict(BaseModel):
    """Base for every part of a survey file: unknown keys are errors, not silently ignored."""

    #: strict: "3" is not a number and 1 is not true, as in the JSON Schema editors use.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


class Choice(Strict):
    id: Slug
    text: LocalizedText


class ShowIf(Strict):
    """Show a question only when an earlier answer equals a value (or is one of several)."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["equals"]}, {"required": ["in"]}]}
    )

    question: Slug
    equals: str | int | bool | None = None
    in_: list[str | int | bool] | None = Field(default=None, alias="in", min_length=1)

    def values(self) -> list[str | int | bool]:
        return list(self.in_) if self.in_ is not None else [self.equals]  # type: ignore[list-item]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """Whether the answers so far meet the condition (a list answer: any of its values).

        The one rule for the visit, the answer checks and the results: ``True`` is not
        ``1`` here, so a yes/no answer never meets a scale's condition or the other way.
        """
        if self.question not in answers:
            return False
        value = answers[self.question]
        wanted = self.values()
        if isinstance(value, list):
            return any(v in wanted for v in value)
        return any(value == w and type(value) is type(w) for w in wanted)


class QuestionBase(Strict):
    id: Slug
    text: LocalizedText
    help: LocalizedText | None = None
    required: bool = False
    show_if: ShowIf | None = None

    def shown_with(self, answers: Mapping[str, Any]) -> bool:
        """Whether this question is shown, given the answers before it."""
        return self.show_if is None or self.show_if.holds(answers)


class SingleChoiceQuestion(QuestionBase):
    type: Literal["single_choice"]
    choices: list[Choice] = Field(min_length=1)


class MultipleChoiceQuestion(QuestionBase):
    type: Literal["multiple_choice"]
    choices: list[Choice] = Field(min_length=1)
    max_choices: int | None = Field(default=None, ge=1)


class ScaleQuestion(QuestionBase):
    """A row of points from ``min`` to ``max`` (at most 11, so 0 to 10 fits), each typed
    with its own digits on a keyboard, so no point is below 0."""

    type: Literal["scale"]
    min: int = Field(default=1, ge=0, description="The lowest point, 0 or more.")
    max: int = Field(default=5, ge=1, description="The highest point; at most 11 points.")
    min_label: LocalizedText | None = None
    max_label: LocalizedText | None = None
    style: Literal["numbers", "smileys"] = "numbers"

    @property
    def points(self) -> list[int]:
        return list(range(self.min, self.max + 1))


class YesNoQuestion(QuestionBase):
    type: Literal["yes_no"]


class TextQuestion(QuestionBase):
    type: Literal["text"]
    max_length: int = Field(default=200, ge=1, le=1000)


class NumberQuestion(QuestionBase):
    type: Literal["number"]
    min: int | None = None
    max: int | None = None


class InfoScreen(QuestionBase):
    """A screen with text and no answer, for example the frame of the questions that follow."""

    type: Literal["info"]
    required: Literal[False] = False


class ContactQuestion(QuestionBase):
    """Asks whether the visitor may be contacted; after a yes, their name and e-mail or phone.

    What they give is stored apart from the answers (like an idea card's contact): never
    synced, exported only with ``--include-contact``. The visitor always answers yes or no.
    """

    type: Literal["contact"]
    help: LocalizedText = Field(
        description="Plain-language consent text: what is kept, why, and for how long."
    )
    required: Literal[False] = False


Question = Annotated[
    SingleChoiceQuestion
    | MultipleChoiceQuestion
    | ScaleQuestion
    | YesNoQuestion
    | TextQuestion
    | NumberQuestion
    | InfoScreen
    | ContactQuestion,
    Field(discriminator="type"),
]

QUESTION_TYPES = (
    "single_choice",
    "multiple_choice",
    "scale",
    "yes_no",
    "text",
    "number",
    "info",
    "contact",
)


class Theme(Strict):
    id: Slug
    text: LocalizedText


class Ideas(Strict):
    """The idea-card section: a prompt, themes to file an idea under, optional follow-up contact."""

    prompt: LocalizedText
    themes: list[Theme] = Field(min_length=1)
    allow_contact: bool = False
    consent: LocalizedText | None = Field(
        default=None,
        description="Plain-language consent text: what is kept, why, and for how long.",
    )
    questions: list[Question] = Field(
        default_factory=list, description="Optional 'about you' questions."
    )


class Followup(Strict):
    """The follow-up link shown as a QR code; ``{ref}`` is replaced by the record's code."""

    url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Left out: the collector's follow-up page, {public_url}/f/{ref}, where "
        "public_url is the kiosk's sync.public_url (else its sync.endpoint, unless that is "
        "this machine).",
    )
    text: LocalizedText = Field(
        description="Beside the code after a survey (and after an idea card without idea_text)."
    )
    idea_text: LocalizedText | None = Field(
        default=None,
        description="Beside the code after an idea card, for example 'Scan to follow your idea'.",
    )


class Survey(Strict):
    id: Slug
    version: int = Field(ge=1)
    title: LocalizedText
    intro: LocalizedText
    thanks: LocalizedText
    languages: list[Annotated[str, Field(pattern=LANG_PATTERN)]] = Field(
        min_length=1,
        description="Language codes; the first is the default. Each at most once.",
        json_schema_extra={"uniqueItems": True},
    )
    ref_prefix: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{1,4}$",
        description="Prefix of reference codes, for example GM for Gentofte Mødes.",
    )
    questions: list[Question] = Field(min_length=1)
    ideas: Ideas | None = None
    followup: Followup | None = None

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        strict=True,
        json_schema_extra={
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Borgerkiosk survey",
        },
    )

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def question(self, question_id: str) -> Any:
        """The question with this id, from the survey or its idea section."""
        for question in self.all_questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def all_questions(self) -> list[Any]:
        extra = list(self.ideas.questions) if self.ideas else []
        return [*self.questions, *extra]
