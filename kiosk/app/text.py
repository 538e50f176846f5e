"""Survey texts in the visitor's language, without importing the survey models.

Same rule as :func:`kiosk.survey.model.localize`; kept here so the first screen can be
drawn before pydantic (the survey models) is imported, which is most of the cold start.
"""

from __future__ import annotations


def localize(text: str | dict[str, str] | None, lang: str, fallback: str | None = None) -> str:
    """The text in ``lang`` (or the fallback language); a plain string is the same in all."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if lang in text:
        return text[lang]
    if fallback and fallback in text:
        return text[fallback]
    return next(iter(text.values()), "")
