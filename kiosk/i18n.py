"""Translations of the kiosk's own texts (buttons, prompts, messages) from ``assets/i18n``.

Survey texts come from the survey file; everything else a visitor or organiser reads
comes from here, so no widget holds Danish or English text of its own.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from kiosk.paths import ASSETS_DIR

I18N_DIR = ASSETS_DIR / "i18n"
#: The language every other translation file is checked against.
REFERENCE_LANGUAGE = "da"


def localize(text: str | dict[str, str] | None, lang: str, fallback: str | None = None) -> str:
    """A survey text in ``lang`` (or the fallback language); a plain string is the same in all.

    The one definition for the kiosk, the survey model and the results; it lives here, free
    of the survey models, so the first screen is drawn before pydantic is imported.
    """
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if lang in text:
        return text[lang]
    if fallback and fallback in text:
        return text[fallback]
    return next(iter(text.values()), "")


class TranslationError(Exception):
    """A translation file is missing, unreadable or lacks a key."""


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def load_language(lang: str, directory: Path = I18N_DIR) -> dict[str, str]:
    """All texts of one language as ``{"section.key": text}``."""
    path = directory / f"{lang}.toml"
    try:
        with path.open("rb") as handle:
            return _flatten(tomllib.load(handle))
    except FileNotFoundError as exc:
        raise TranslationError(f"{path}: no translation file for language {lang!r}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TranslationError(f"{path}: {exc}") from exc


def available_languages(directory: Path = I18N_DIR) -> list[str]:
    return sorted(path.stem for path in directory.glob("*.toml"))


def missing_keys(lang: str, directory: Path = I18N_DIR) -> list[str]:
    """Keys the reference language has and ``lang`` lacks (a test keeps this empty)."""
    reference = load_language(REFERENCE_LANGUAGE, directory)
    texts = load_language(lang, directory)
    return sorted(set(reference) - set(texts))


#: A key ending in this is the text a touch kiosk shows instead of the key without it.
TOUCH_SUFFIX = "_touch"


class Translator:
    """The kiosk's texts in one language, falling back to Danish for a missing key.

    With ``touch`` (a kiosk without a keyboard) a key that has a ``<key>_touch`` variant
    gives that instead: "Tryk på et svar" rather than "... eller brug tallene". So no
    screen needs to know about touch to stop speaking of keys; a hint that mentions keys
    just gets a ``_touch`` twin in every language file.
    """

    def __init__(self, lang: str, directory: Path = I18N_DIR, *, touch: bool = False) -> None:
        self.lang = lang
        self.touch = touch
        self._texts = load_language(lang, directory)
        self._fallback = (
            load_language(REFERENCE_LANGUAGE, directory)
            if lang != REFERENCE_LANGUAGE
            else self._texts
        )

    def __call__(self, key: str, **values: Any) -> str:
        text = None
        if self.touch:
            touch_key = key + TOUCH_SUFFIX
            text = self._texts.get(touch_key) or self._fallback.get(touch_key)
        text = text or self._texts.get(key) or self._fallback.get(key)
        if text is None:
            raise TranslationError(f"no text for {key!r} in {self.lang}.toml")
        return text.format(**values) if values else text

    def language_name(self, lang: str) -> str:
        """A language named in its own words ("Dansk", "English")."""
        return load_language(lang)["language.name"]
