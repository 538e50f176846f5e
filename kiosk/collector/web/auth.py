"""Who is signed in, what they may do, and the checks every form goes through.

- The session cookie carries a random token signed with the collector's key (itsdangerous);
  the server keeps only the token's hash (:mod:`kiosk.collector.accounts`), so signing out
  ends the session for good. HttpOnly, SameSite=Lax, Secure when the public URL is https.
- :func:`require_viewer` and :func:`require_organiser` are the dependencies every page and
  action declares: a visitor who is not signed in is sent to the sign-in page, a viewer who
  tries an organiser's action gets 403.
- Every form POST carries a CSRF token: an HMAC over a random cookie and the session, so a
  page on another site can neither read nor forge it. :func:`csrf_guard` is added to every
  web router when it is mounted (see :func:`kiosk.collector.web.install_web`), so a new
  route cannot forget it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, Signer

from kiosk.collector.accounts import (
    Account,
    check_sign_in,
    end_session,
    session_account,
    start_session,
)
from kiosk.collector.ideas import Status, default_statuses
from kiosk.collector.storage import CollectorStorage

log = logging.getLogger("kiosk.collector.web")
SESSION_COOKIE = "bk_session"
CSRF_COOKIE = "bk_csrf"
CSRF_FIELD = "csrf_token"
SIGN_IN_PATH = "/signin"
#: Methods that change something: each needs a valid CSRF token.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class WebSettings:
    """How the web side runs; kept on ``app.state.web``."""

    secret_key: str
    public_url: str | None = None
    #: Follow-up page requests a client address may make per window (429 above).
    followup_limit: int = 30
    followup_window_s: float = 60.0
    #: The statuses an idea can have, the first for a new idea.
    statuses: tuple[Status, ...] = field(default_factory=lambda: tuple(default_statuses()))

    @property
    def secure_cookies(self) -> bool:
        return bool(self.public_url and self.public_url.lower().startswith("https://"))


class SignInRequired(Exception):
    """Nobody is signed in: pages send the browser to the sign-in page."""


class NotAllowed(Exception):
    """Signed in, but this account's role may not do this (a viewer changing something)."""


class CsrfRefused(Exception):
    """A form came without the token of this browser's session: refused, nothing changed."""


def get_storage(request: Request) -> CollectorStorage:
    """The collector's storage, for routers' dependencies."""
    return request.app.state.storage  # type: ignore[no-any-return]


def get_settings(request: Request) -> WebSettings:
    return request.app.state.web  # type: ignore[no-any-return]


def _signer(request: Request) -> Signer:
    return Signer(get_settings(request).secret_key, salt="borgerkiosk-session")


def current_account(request: Request) -> Account | None:
    """The signed-in account, or None; worked out once a request (kept on request.state)."""
    if hasattr(request.state, "account"):
        return request.state.account  # type: ignore[no-any-return]
    account = None
    token = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            token = _signer(request).unsign(raw).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            token = None
        if token:
            account = session_account(get_storage(request), token)
    request.state.account = account
    request.state.session_token = token if account else None
    return account


def require_viewer(account: Annotated[Account | None, Depends(current_account)]) -> Account:
    """Any signed-in account (viewer or organiser); else off to the sign-in page."""
    if account is None:
        raise SignInRequired
    return account


def require_organiser(account: Annotated[Account, Depends(require_viewer)]) -> Account:
    """An organiser; a viewer gets 403 (sees everything, changes nothing)."""
    if not account.is_organiser:
        raise NotAllowed
    return account


def csrf_token(request: Request) -> str:
    """The token this browser's forms must send back: bound to its CSRF cookie and session."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
    session = getattr(request.state, "session_token", None) or ""
    key = get_settings(request).secret_key.encode()
    return hmac.new(key, f"csrf|{seed}|{session}".encode(), hashlib.sha256).hexdigest()


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Send the CSRF cookie a page's token was made from, when the browser has none yet."""
    seed = getattr(request.state, "csrf_seed", None)
    if seed and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE,
            seed,
            httponly=True,
            samesite="lax",
            secure=get_settings(request).secure_cookies,
            path="/",
        )


async def csrf_guard(
    request: Request, _account: Annotated[Account | None, Depends(current_account)]
) -> None:
    """Refuse an unsafe request whose form lacks this browser's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    form = await request.form()  # FastAPI has parsed it already: this is the same form
    given = form.get(CSRF_FIELD)
    if not request.cookies.get(CSRF_COOKIE) or not isinstance(given, str):
        raise CsrfRefused
    if not hmac.compare_digest(given.encode(), csrf_token(request).encode()):
        raise CsrfRefused


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another site."""
    from kiosk.collector.web.nav import HOME_PATH

    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return HOME_PATH
    if any(ord(c) < 32 for c in target):
        return HOME_PATH
    return target


def sign_in_redirect(request: Request) -> RedirectResponse:
    """303 to the sign-in page, coming back to this page (GET) afterwards."""
    target = SIGN_IN_PATH
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?next=" + quote(here, safe="")
    return RedirectResponse(target, status_code=303)


router = APIRouter()


@router.get("/", name="home")
def home(_account: Annotated[Account, Depends(require_viewer)]) -> RedirectResponse:
    from kiosk.collector.web.nav import HOME_PATH

    return RedirectResponse(HOME_PATH, status_code=303)


@router.get(SIGN_IN_PATH, name="sign_in_page")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    from kiosk.collector.web.render import render

    message = "signin.signed_out" if request.query_params.get("signed_out") else None
    return render(request, "signin.html", {"next": safe_next(next), "message": message})


@router.post(SIGN_IN_PATH, name="sign_in")
def sign_in(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    from kiosk.collector.web.render import render

    storage = get_storage(request)
    outcome = check_sign_in(storage, name.strip(), password)
    if outcome.account is None:
        if outcome.problem == "locked":
            log.warning("sign-in refused: the account is locked after repeated failures")
            message, values = "signin.locked", {"minutes": outcome.locked_minutes}
        else:
            message, values = "signin.wrong", {}
        return render(
            request,
            "signin.html",
            {
                "next": safe_next(next),
                "message": message,
                "message_values": values,
                "name": name.strip()[:64],
            },
            status_code=401,
        )
    token = start_session(storage, outcome.account)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        _signer(request).sign(token).decode("ascii"),
        httponly=True,
        samesite="lax",
        secure=get_settings(request).secure_cookies,
        path="/",
    )
    return response


@router.post("/signout", name="sign_out")
def sign_out(request: Request, _account: Annotated[Account, Depends(require_viewer)]) -> Response:
    token = getattr(request.state, "session_token", None)
    if token:
        end_session(get_storage(request), token)
    response = RedirectResponse(f"{SIGN_IN_PATH}?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
