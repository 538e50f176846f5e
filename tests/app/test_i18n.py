"""Translations: Danish and English complete, every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.i18n import I18N_DIR, TranslationError, Translator, load_language, missing_keys
from kiosk.paths import PROJECT_ROOT

LANGUAGES = ("da", "en")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_language_is_complete(lang: str) -> None:
    assert missing_keys(lang) == []
    reference = load_language("da")
    extra = sorted(set(load_language(lang)) - set(reference))
    assert extra == [], f"{lang}.toml has keys Danish lacks"


def test_a_missing_key_is_reported(tmp_path: Path) -> None:
    (tmp_path / "da.toml").write_text('[a]\nx = "1"\ny = "2"\n', encoding="utf-8")
    (tmp_path / "en.toml").write_text('[a]\nx = "1"\n', encoding="utf-8")
    assert missing_keys("en", tmp_path) == ["a.y"]


def _keys_used_in_code() -> set[str]:
    """Every string literal in the app's code that names a key of a translation section:
    keys passed to t(...), message keys of the flows' problems, keys kept in tuples."""
    sections = {key.split(".")[0] for key in load_language("da")}
    used: set[str] = set()
    for path in (PROJECT_ROOT / "kiosk" / "app").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for section, key in re.findall(r'"([a-z_]+)\.([a-z_]+)"', text):
            if section in sections:
                used.add(f"{section}.{key}")
    return used


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_used_by_the_app_exists(lang: str) -> None:
    used = _keys_used_in_code()
    assert len(used) > 30, "the key scan found too little: is the pattern still right?"
    texts = load_language(lang)
    assert sorted(k for k in used if k not in texts) == []


def test_flow_problem_keys_exist() -> None:
    flow_code = (PROJECT_ROOT / "kiosk" / "app" / "flow.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'"(question\.[a-z_]+)"', flow_code))
    assert keys >= {"question.required", "question.number_range", "question.not_a_number"}
    for lang in LANGUAGES:
        assert keys <= set(load_language(lang))


def test_languages_name_themselves() -> None:
    t = Translator("da")
    assert t.language_name("en") == "English"
    assert t.language_name("da") == "Dansk"


def test_formatting_and_missing_key_error() -> None:
    t = Translator("en")
    assert t("question.progress", number=2, total=6) == "Question 2 of 6"
    assert Translator("da")("question.progress", number=2, total=6) == "Spørgsmål 2 af 6"
    with pytest.raises(TranslationError, match=r"no text for 'nope\.nothing'"):
        t("nope.nothing")


def test_unknown_language_file_is_a_clear_error() -> None:
    with pytest.raises(TranslationError, match="no translation file for language 'xx'"):
        load_language("xx", I18N_DIR)


#: Danish copy that issue 9 replaced, with what replaced it: neither the kiosk's nor the
#: collector's web translations nor a bundled survey may say the old words again.
REPLACED = {
    r"Udenfor kommunen": "Uden for kommunen",
    r"Hvordan synes du": "Hvad synes du om Gentofte Mødes i dag?",
    r"\bSkidt\b": "Dårligt",
    r"referencenummer": "Din referencekode",
    r"sidst lykkedes": "Seneste vellykkede",
    r"\bSync\b": "Synkronisering",
    r"mistænkelig": "for hurtige",
    r"\bposter\b": "1 besvarelse",
    r"Fravælg et andet": "Fjern et af de andre først",
    r"Det tager 3 minutter": "Det tager ca. 3 minutter",
    r"\d+-\d+ år": "18–29 år",
}


def _danish_copy() -> dict[str, str]:
    """Where -> text: every Danish translation (kiosk and collector web) and bundled survey."""
    from kiosk.collector.web.render import WEB_I18N_DIR

    copy = {
        f"{where.name}/da.toml: {key}": text
        for where in (I18N_DIR, WEB_I18N_DIR)
        for key, text in load_language("da", where).items()
    }
    for survey in sorted((PROJECT_ROOT / "surveys").glob("*.yaml")):
        copy[survey.name] = survey.read_text(encoding="utf-8")
    return copy


@pytest.mark.parametrize("old", sorted(REPLACED))
def test_replaced_danish_copy_does_not_come_back(old: str) -> None:
    copy = _danish_copy()
    assert {where for where, text in copy.items() if re.search(old, text)} == set()
    assert any(REPLACED[old] in text for text in copy.values()), REPLACED[old]
