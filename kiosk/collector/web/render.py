"""Rendering pages: the Jinja2 environment (autoescaping everything), the web copy in da and
en, and the language a page is shown in.

Visitor text is hostile: every value goes through Jinja2's autoescape, and no template marks
anything ``|safe``. The web copy lives in ``assets/i18n/collector/{da,en}.toml`` (a folder of
its own, so the kiosk's language check of ``assets/i18n/*.toml`` is not disturbed).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from kiosk.i18n import load_language
from kiosk.paths import ASSETS_DIR

WEB_I18N_DIR = ASSETS_DIR / "i18n" / "collector"
#: Danish first, English second, as on the kiosk.
LANGUAGES = ("da", "en")
LANG_COOKIE = "bk_lang"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kiosk.collector.web", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def texts(lang: str) -> dict[str, str]:
    return load_language(lang, WEB_I18N_DIR)


def translator(lang: str) -> Any:
    """``t(key, **values)``: the text in ``lang`` (Danish when en lacks it), formatted."""
    own, danish = texts(lang), texts("da")

    def t(key: str, **values: Any) -> str:
        text = own.get(key) or danish.get(key) or key
        return text.format(**values) if values else text

    return t


class _LazyToken:
    """The CSRF token, made only when a page has a form: a visitor's follow-up page then
    sets no cookie at all."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def __str__(self) -> str:
        from kiosk.collector.web.auth import csrf_token

        return csrf_token(self.request)

    def __html__(self) -> str:
        return str(self)  # hex digits only: nothing to escape


def page_language(request: Request) -> str:
    """``?lang=`` first (a link or the switch), then the visitor's earlier choice, then da."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LANGUAGES else LANGUAGES[0]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page from ``template`` with the shared context (language, texts, account, CSRF token,
    navigation) and the cookies it needs."""
    from kiosk.collector.web.auth import set_csrf_cookie
    from kiosk.collector.web.nav import NAV

    lang = page_language(request)
    other = LANGUAGES[1] if lang == LANGUAGES[0] else LANGUAGES[0]
    account = getattr(request.state, "account", None)
    values: dict[str, Any] = {
        "lang": lang,
        "other_lang": other,
        "switch_url": str(request.url.include_query_params(lang=other).path)
        + "?"
        + str(request.url.include_query_params(lang=other).query),
        "t": translator(lang),
        "account": account,
        "csrf_token": _LazyToken(request),
        "nav": NAV if account is not None else [],
        "path": request.url.path,
    }
    values.update(context or {})
    body = environment().get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=request.app.state.web.secure_cookies,
            path="/",
        )
    set_csrf_cookie(request, response)
    return response
