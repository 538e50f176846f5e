"""Every route of the collector, driven from the app's own route table: a route added without a
role check (or a form without the CSRF check) fails here, whoever adds it.

- Sync API (/v1/...): the kiosk's bearer token, except the health check.
- Public pages: only those listed in PUBLIC.
- Every other page: anonymous -> sign-in; viewer may look (GET) but every unsafe method other
  than those in VIEWER_MAY is 403; organiser passes the role check.
- Every unsafe method of the web side refuses a request without the CSRF token.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from helpers.collector import BACKENDS
from helpers.pg_server import postgres_server
from helpers.web import ORGANISER, VIEWER, client_for, idea_record, make_app, page_token, submit
from kiosk.collector.web import web_routers
from kiosk.sync.protocol import HEALTH_PATH

PUBLIC = {
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("GET", "/f/{ref}"),
    # the projector board (weblive): public by design, shows only approved ideas and
    # results of questions with 10 answers or more (tests/web/test_web_live_pages.py)
    ("GET", "/board/{survey_id}"),
    ("GET", "/board/{survey_id}/live"),
}
VIEWER_MAY = {("POST", "/signout")}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    target = postgres_server().new_database("roles") if request.param == "postgresql" else None
    app, storage = make_app(target or tmp_path_factory.mktemp("roles") / "collector.db")
    record = idea_record("kiosk-1", "GM-7K3Q", "Bænke")
    submit(client_for(app), "kiosk-1", [record])
    yield app, record["id"]
    storage.close()


def _routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every (method, path): the app's own routes and those of each web router (mounted
    without a prefix; FastAPI keeps included routers as one entry of the app's table)."""
    found = []
    for route in [*app.routes, *(r for router in web_routers() for r in router.routes)]:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, route.path))
    return found


def _concrete(path: str, record_id: str) -> str:
    values = {"record_id": record_id, "ref": "GM-7K3Q", "kiosk_id": "kiosk-1"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "gentofte-moedes"), path)


def _send(client, method: str, url: str, token: str | None):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token} if token is not None else {}
    if method in UNSAFE:
        return client.request(method, url, data=data)
    return client.request(method, url)


def test_the_route_table_has_the_web_side(site) -> None:  # type: ignore[no-untyped-def]
    app, _ = site
    routes = set(_routes(app))
    assert {("GET", "/ideas"), ("POST", "/ideas/{record_id}"), ("GET", "/f/{ref}")} <= routes


def test_every_route_checks_who_asks(site) -> None:  # type: ignore[no-untyped-def]
    app, record_id = site
    anonymous = client_for(app)
    viewer = client_for(app, VIEWER)
    organiser = client_for(app, ORGANISER)
    problems = []
    for method, path in _routes(app):
        url = _concrete(path, record_id)
        if path.startswith("/v1/"):
            reply = anonymous.request(method, url)
            if path != HEALTH_PATH and reply.status_code != 401:
                problems.append(f"{method} {path}: {reply.status_code} without the kiosk token")
            continue
        if (method, path) in PUBLIC:
            continue
        reply = _send(anonymous, method, url, page_token(anonymous))
        if not (reply.status_code == 303 and reply.headers["location"].startswith("/signin")):
            problems.append(f"{method} {path}: anonymous got {reply.status_code}")
        if (method, path) in VIEWER_MAY:
            continue  # sign-out: it would end the session the next checks use (tested alone)
        reply = _send(viewer, method, url, page_token(viewer))
        if method in UNSAFE:
            if reply.status_code != 403:
                problems.append(f"{method} {path}: viewer got {reply.status_code}, not 403")
        elif reply.status_code in (401, 403) or reply.headers.get("location", "").startswith(
            "/signin?"
        ):
            problems.append(f"{method} {path}: viewer refused ({reply.status_code})")
        reply = _send(organiser, method, url, page_token(organiser))
        if reply.status_code in (401, 403) or reply.headers.get("location", "").startswith(
            "/signin?"
        ):
            problems.append(f"{method} {path}: organiser refused ({reply.status_code})")
    assert problems == []


def test_every_form_refuses_a_missing_or_wrong_csrf_token(site) -> None:  # type: ignore[no-untyped-def]
    app, record_id = site
    organiser = client_for(app, ORGANISER)
    checked = 0
    for method, path in _routes(app):
        if method not in UNSAFE or path.startswith("/v1/"):
            continue
        url = _concrete(path, record_id)
        for token in (None, "f" * 64):
            reply = _send(organiser, method, url, token)
            assert reply.status_code == 403, f"{method} {path} with token {token!r}"
            assert "Formularen er udløbet" in reply.text
        checked += 1
    assert checked >= 3  # sign-in, sign-out, an idea's form at least
    assert organiser.get("/ideas").status_code == 200  # still signed in: nothing happened


def test_a_route_without_a_check_would_fail_here(tmp_path: Path, collector_db: Path | str) -> None:
    """The table test is not vacuous: an unchecked page added to the app is caught."""
    app, storage = make_app(collector_db)

    @app.get("/leaky")
    def leaky() -> dict[str, str]:
        return {"secret": "yes"}

    anonymous = client_for(app)
    reply = _send(anonymous, "GET", "/leaky", None)
    assert ("GET", "/leaky") in _routes(app)
    assert not (reply.status_code == 303 and reply.headers["location"].startswith("/signin"))
    storage.close()
