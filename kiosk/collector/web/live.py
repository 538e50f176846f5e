"""What the live pages share: their settings, the fragment check, and number words.

The overview, results and board pages refresh themselves with htmx (vendored in
``static/htmx.min.js``, no CDN): the page loads a fragment again every few seconds and swaps
it in. A fragment asked for by htmx after the session ended answers with ``HX-Redirect`` to
the sign-in page, so the sign-in form is not swapped into a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from kiosk.collector.accounts import Account
from kiosk.collector.overview import DEFAULT_LOW_DISK_BYTES, DEFAULT_QUIET_AFTER
from kiosk.collector.web.auth import SignInRequired, current_account

#: The fewest answers a question needs before the public board shows its results, so no
#: single visitor's answer can be singled out.
BOARD_MIN_ANSWERS = 10


@dataclass(frozen=True)
class LiveSettings:
    """How the live pages behave; kept on ``app.state.live`` (see :func:`live_settings`)."""

    quiet_after: timedelta = DEFAULT_QUIET_AFTER
    low_disk_bytes: int = DEFAULT_LOW_DISK_BYTES
    #: Seconds between refreshes of the overview and the board.
    refresh_s: int = 10
    board_min_answers: int = BOARD_MIN_ANSWERS


def live_settings_for(quiet_after_s: float | None = None) -> LiveSettings:
    """The live pages' settings, with a kiosk counted as quiet after ``quiet_after_s``."""
    if quiet_after_s is None:
        return LiveSettings()
    return LiveSettings(quiet_after=timedelta(seconds=quiet_after_s))


def live_settings(request: Request) -> LiveSettings:
    settings = getattr(request.app.state, "live", None)
    return settings if isinstance(settings, LiveSettings) else LiveSettings()


class FragmentSignIn(Exception):
    """A fragment htmx asked for without a session: answered with HX-Redirect."""


def require_viewer_fragment(
    request: Request, account: Annotated[Account | None, Depends(current_account)]
) -> Account:
    """``require_viewer`` for fragments: htmx gets ``HX-Redirect``, a browser the redirect."""
    if account is None:
        if request.headers.get("HX-Request") == "true":
            raise FragmentSignIn
        raise SignInRequired
    return account


def size_text(value: int | None) -> str:
    """Bytes as people read them (``12.3 GB``); empty when unknown."""
    if value is None:
        return ""
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def ago_minutes(seconds: float) -> int:
    return max(0, int(seconds // 60))


def install_live(app: FastAPI, settings: LiveSettings | None = None) -> None:
    """The live pages' settings and their fragments' answer to an ended session."""
    app.state.live = settings or LiveSettings()

    @app.exception_handler(FragmentSignIn)
    async def fragment_sign_in(request: Request, _exc: FragmentSignIn) -> Response:
        from kiosk.collector.web.auth import SIGN_IN_PATH

        return Response(status_code=200, headers={"HX-Redirect": SIGN_IN_PATH})
