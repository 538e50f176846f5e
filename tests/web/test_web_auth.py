"""Sign-in, sessions, CSRF, lockout and security headers of the collector's web side."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.web import ORGANISER, VIEWER, client_for, make_app, page_token
from kiosk.collector.accounts import MAX_FAILED_SIGNINS
from kiosk.collector.web.headers import CSP


@pytest.fixture
def app(tmp_path: Path, collector_db: Path | str):  # type: ignore[no-untyped-def]
    app, storage = make_app(collector_db)
    yield app
    storage.close()


def _set_cookie(reply, name: str) -> str:  # type: ignore[no-untyped-def]
    found = [h for h in reply.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    return found[0].lower()


def test_pages_send_an_anonymous_visitor_to_sign_in(app) -> None:  # type: ignore[no-untyped-def]
    reply = client_for(app).get("/")
    assert reply.status_code == 303
    assert reply.headers["location"] == "/signin?next=%2F"


def test_sign_in_sets_a_signed_http_only_lax_cookie(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    reply = client.post(
        "/signin",
        data={"name": ORGANISER[0], "password": ORGANISER[1], "csrf_token": page_token(client)},
    )
    assert reply.status_code == 303
    cookie = _set_cookie(reply, "bk_session")
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http on loopback: a Secure cookie would never return
    value = client.cookies["bk_session"]
    assert "." in value  # token.signature
    assert client.get("/").status_code == 303 and client.get("/").headers["location"] == "/ideas"
    client.cookies.set("bk_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert client.get("/").headers["location"].startswith("/signin")  # tampered: nobody


def test_cookie_is_secure_when_the_public_url_is_https(
    tmp_path: Path, collector_db: Path | str
) -> None:
    app, storage = make_app(collector_db, public_url="https://kiosk.example.dk")
    client = client_for(app, base_url="https://testserver")  # Secure cookies need https
    reply = client.post(
        "/signin",
        data={"name": VIEWER[0], "password": VIEWER[1], "csrf_token": page_token(client)},
    )
    assert "secure" in _set_cookie(reply, "bk_session")
    storage.close()


def test_wrong_password_and_unknown_name_read_the_same(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    wrong = client.post(
        "/signin", data={"name": "olga", "password": "nope", "csrf_token": page_token(client)}
    )
    unknown = client.post(
        "/signin", data={"name": "nobody", "password": "nope", "csrf_token": page_token(client)}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Forkert brugernavn eller adgangskode." in wrong.text
    assert "Forkert brugernavn eller adgangskode." in unknown.text
    assert "bk_session" not in client.cookies


def test_lockout_after_repeated_failures_even_for_the_right_password(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    for _ in range(MAX_FAILED_SIGNINS):
        client.post(
            "/signin",
            data={"name": "olga", "password": "guess-guess", "csrf_token": page_token(client)},
        )
    reply = client.post(
        "/signin",
        data={"name": ORGANISER[0], "password": ORGANISER[1], "csrf_token": page_token(client)},
    )
    assert reply.status_code == 401
    assert "Kontoen er låst i 15 minutter" in reply.text
    assert "bk_session" not in client.cookies
    # the other account is not locked by olga's failures
    other = client_for(app, VIEWER)
    assert other.get("/").headers["location"] == "/ideas"


def test_english_lockout_message(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    for _ in range(MAX_FAILED_SIGNINS + 1):
        reply = client.post(
            "/signin?lang=en",
            data={"name": "vera", "password": "guess-guess", "csrf_token": page_token(client)},
        )
    assert "The account is locked for 15 minutes" in reply.text


@pytest.mark.parametrize("token", [None, "", "0" * 64, "not-a-token"])
def test_sign_in_without_the_right_csrf_token_is_refused(app, token) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    page_token(client)  # the browser has its CSRF cookie
    data = {"name": ORGANISER[0], "password": ORGANISER[1]}
    if token is not None:
        data["csrf_token"] = token
    reply = client.post("/signin", data=data)
    assert reply.status_code == 403
    assert "Formularen er udløbet" in reply.text
    assert "bk_session" not in client.cookies


def test_a_token_from_another_browser_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = client_for(app), client_for(app)
    page_token(mine)
    reply = mine.post(
        "/signin",
        data={"name": ORGANISER[0], "password": ORGANISER[1], "csrf_token": page_token(theirs)},
    )
    assert reply.status_code == 403


def test_sign_out_needs_csrf_and_ends_the_session_for_good(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app, ORGANISER)
    stolen = client.cookies["bk_session"]
    assert client.post("/signout", data={}).status_code == 403  # no token: still signed in
    assert client.get("/").headers["location"] == "/ideas"
    reply = client.post("/signout", data={"csrf_token": page_token(client)})
    assert reply.status_code == 303 and reply.headers["location"] == "/signin?signed_out=1"
    assert client.get("/").headers["location"].startswith("/signin")
    replay = client_for(app)
    replay.cookies.set("bk_session", stolen)
    assert replay.get("/").headers["location"].startswith("/signin")


def test_next_never_leads_to_another_site(app) -> None:  # type: ignore[no-untyped-def]
    for target in ["//evil.example/", "https://evil.example/", "/\\evil.example"]:
        client = client_for(app)
        reply = client.post(
            "/signin",
            data={
                "name": ORGANISER[0],
                "password": ORGANISER[1],
                "next": target,
                "csrf_token": page_token(client),
            },
        )
        assert reply.headers["location"] == "/ideas"


@pytest.mark.parametrize("path", ["/signin", "/v1/health", "/static/style.css", "/"])
def test_security_headers_on_every_answer(app, path: str) -> None:  # type: ignore[no-untyped-def]
    reply = client_for(app).get(path)
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["referrer-policy"] == "no-referrer"
    csp = reply.headers["content-security-policy"]
    assert csp == CSP
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_pages_have_no_inline_script_or_style(app) -> None:  # type: ignore[no-untyped-def]
    html = client_for(app).get("/signin").text
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert '<link rel="stylesheet" href="/static/style.css">' in html


def test_language_switch_keeps_english(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    assert "Log ind" in client.get("/signin").text
    english = client.get("/signin?lang=en")
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    assert '<html lang="en">' in client.get("/signin").text  # remembered


def test_a_success_resets_the_count_of_failures(app) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    for _ in range(2):
        for _ in range(MAX_FAILED_SIGNINS - 1):
            client.post(
                "/signin",
                data={"name": "olga", "password": "guess-guess", "csrf_token": page_token(client)},
            )
        good = client_for(app, ORGANISER)  # right after four failures: still let in
        assert good.get("/").headers["location"] == "/ideas"


def test_removing_an_account_ends_its_sessions(app) -> None:  # type: ignore[no-untyped-def]
    from kiosk.collector.accounts import remove_account

    client = client_for(app, VIEWER)
    assert client.get("/").headers["location"] == "/ideas"
    assert remove_account(app.state.storage, VIEWER[0])
    assert client.get("/").headers["location"].startswith("/signin")


def test_an_account_removed_while_it_signs_in_gets_no_session(app) -> None:  # type: ignore[no-untyped-def]
    from kiosk.collector.accounts import (
        check_sign_in,
        remove_account,
        session_account,
        start_session,
    )

    storage = app.state.storage
    account = check_sign_in(storage, *VIEWER).account  # the password was right ...
    assert remove_account(storage, VIEWER[0])  # ... and the account goes right then
    token = start_session(storage, account)  # no foreign-key error on either database
    assert session_account(storage, token) is None
    assert storage.db.query("SELECT count(*) FROM web_sessions")[0][0] == 0
