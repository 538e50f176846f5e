"""The web copy: da and en have the same keys, every key a page asks for exists, and the
files, templates and stylesheet are where an installed package finds them."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from kiosk.collector.ideas import DEFAULT_STATUSES
from kiosk.collector.web.render import WEB_I18N_DIR, texts
from kiosk.i18n import available_languages, missing_keys

WEB = Path(str(files("kiosk.collector.web")))
_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_]+)["']\s*[,)]""")
_PROBLEM = re.compile(r"""["']problem["']:\s*["']([a-z_]+\.[a-z_]+)["']""")


def test_both_languages_have_every_key() -> None:
    assert available_languages(WEB_I18N_DIR) == ["da", "en"]
    assert missing_keys("en", WEB_I18N_DIR) == []
    assert set(texts("en")) == set(texts("da"))


def test_every_key_the_pages_use_exists() -> None:
    used: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(_KEY.findall(template.read_text(encoding="utf-8")))
    for module in WEB.glob("*.py"):
        for problem in _PROBLEM.findall(module.read_text(encoding="utf-8")):
            used |= {problem, f"{problem}_title"}
    used |= {f"followup.{kind}_title" for kind in ("idea", "response", "unknown")}
    used |= {f"followup.{kind}_text" for kind in ("response", "unknown")}
    used |= {f"status.{status}" for status in DEFAULT_STATUSES}
    used |= {f"idea.field_{f}" for f in ("status", "answer_da", "answer_en", "hidden", "on_board")}
    used |= {f"role.{role}" for role in ("organiser", "viewer")}
    assert len(used) > 60
    assert sorted(used - set(texts("da"))) == []


def test_templates_and_static_files_ship_in_the_package() -> None:
    assert (WEB / "templates" / "base.html").is_file()
    assert (WEB / "static" / "style.css").is_file()
    assert (WEB_I18N_DIR / "da.toml").is_file()
    import tomllib

    data = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    shipped = data["tool"]["setuptools"]["package-data"]["kiosk"]
    assert {"collector/web/templates/*.html", "collector/web/static/*", "assets/**/*"} <= set(
        shipped
    )
