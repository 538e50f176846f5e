"""Helpers for the web tests: a collector app with accounts, signing in, reading CSRF tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from kiosk.collector.accounts import add_account
from kiosk.collector.app import create_app
from kiosk.collector.storage import CollectorStorage

TOKEN = "test-token-5c1e0f"
ORGANISER = ("olga", "organiser-pass-1")
VIEWER = ("vera", "viewer-pass-12")
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def make_app(db: Path | str, **kwargs: Any) -> tuple[Any, CollectorStorage]:
    """The real collector app over a fresh database with one organiser and one viewer."""
    storage = CollectorStorage(db)
    add_account(storage, ORGANISER[0], "organiser", ORGANISER[1])
    add_account(storage, VIEWER[0], "viewer", VIEWER[1])
    return create_app(storage, TOKEN, **kwargs), storage


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def page_token(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token of a page as this client (its cookies, its session) sees it."""
    return csrf_of(client.get(path).text)


def sign_in(client: TestClient, who: tuple[str, str]) -> None:
    reply = client.post(
        "/signin",
        data={"name": who[0], "password": who[1], "csrf_token": page_token(client)},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    assert "bk_session" in client.cookies


def client_for(
    app: Any, who: tuple[str, str] | None = None, base_url: str = "http://testserver"
) -> TestClient:
    client = TestClient(app, follow_redirects=False, base_url=base_url)
    if who is not None:
        sign_in(client, who)
    return client


def idea_record(
    kiosk_id: str,
    ref: str,
    title: str,
    description: str = "",
    theme: str = "kultur",
    submitted_at: str = "2026-09-05T10:15:00.000Z",
) -> dict[str, Any]:
    """An idea card record as a kiosk makes it (kiosk.records.new_record)."""
    from kiosk.records import new_record

    return new_record(
        kind="idea",
        survey_id="gentofte-moedes",
        survey_version=1,
        survey_hash="a" * 64,
        kiosk_id=kiosk_id,
        lang="da",
        started_at="2026-09-05T10:00:00.000Z",
        submitted_at=submitted_at,
        completed=True,
        answers={},
        ref=ref,
        idea={"theme": theme, "title": title, "description": description},
    )


def submit(client: TestClient, kiosk_id: str, records: list[dict[str, Any]]) -> None:
    """Send records the way a kiosk's sync does: POST /v1/submissions with the token."""
    from kiosk.sync.protocol import SUBMISSIONS_PATH

    reply = client.post(
        SUBMISSIONS_PATH,
        json={"kiosk_id": kiosk_id, "records": records},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert reply.status_code == 200, reply.text
    assert all(r["status"] == "accepted" for r in reply.json()["results"]), reply.text
