"""An organiser and a visitor in a real browser (Debian's chromium, headless) against the real
collector process on a loopback port: sign in, answer an idea, read the answer on /f/{ref} on
a phone-sized screen, sign out. A screenshot of each page is kept as a test artefact
(in $BORGERKIOSK_WEB_ARTEFACTS when set, else in the test's tmp_path/screenshots).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import sync_playwright

from helpers.collector import BACKENDS, CollectorProcess
from helpers.web import ORGANISER, TOKEN, idea_record
from kiosk.collector.accounts import add_account
from kiosk.collector.storage import CollectorStorage

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = '<script>window.__pwned=1</script>"><img src=x onerror=window.__pwned=2>'


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BORGERKIOSK_WEB_ARTEFACTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(params=BACKENDS)
def collector(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The collector on each database in turn (this browser test takes about 8 s)."""
    token_file = tmp_path / "collector.token"
    token_file.write_text(TOKEN)
    process = CollectorProcess(
        tmp_path / "collector.db", token_file, "--public-url", "http://127.0.0.1",
        backend=request.param,
    )  # fmt: skip
    storage = CollectorStorage(process.db)
    add_account(storage, ORGANISER[0], "organiser", ORGANISER[1])
    storage.close()
    process.start()
    records = [
        idea_record("kiosk-1", "GM-7K3Q", "Flere bænke ved stranden", "Til de ældre", "aeldre"),
        idea_record("kiosk-1", "GM-HHHH", HOSTILE, HOSTILE, "kultur"),
    ]
    reply = requests.post(
        process.url + "/v1/submissions",
        json={"kiosk_id": "kiosk-1", "records": records},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    yield process
    process.stop()


def test_organiser_answers_an_idea_and_the_visitor_reads_it(collector, shots: Path) -> None:  # type: ignore[no-untyped-def]
    assert Path(CHROMIUM).exists(), "chromium is missing: apt-get install chromium"
    base = collector.url
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            laptop = browser.new_context(viewport={"width": 1280, "height": 800})
            page = laptop.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(base + "/ideas")
            assert page.url.startswith(base + "/signin?next=")
            assert page.locator("h1").inner_text() == "Log ind"
            page.screenshot(path=str(shots / "1-signin.png"), full_page=True)

            page.fill("#name", ORGANISER[0])
            page.fill("#password", ORGANISER[1])
            page.click("form.stack button[type=submit]")
            page.wait_for_url(base + "/ideas")
            assert "2 idéer" in page.inner_text("main")
            # the stylesheet loads under the CSP: the header has its colour
            colour = page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor")
            assert colour == "rgb(0, 85, 140)"
            page.screenshot(path=str(shots / "2-ideas.png"), full_page=True)

            page.get_by_role("link", name=HOSTILE).click()  # the hostile idea, shown as text
            page.wait_for_selector("h1.idea-title")
            assert page.inner_text("h1.idea-title") == HOSTILE
            page.screenshot(path=str(shots / "3-hostile-idea.png"), full_page=True)
            assert page.evaluate("window.__pwned") is None

            page.goto(base + "/ideas")
            page.get_by_role("link", name="Flere bænke ved stranden").click()
            page.wait_for_selector("#status")
            page.select_option("#status", "under_behandling")
            page.fill("#answer_da", "Vi ser på bænkene i oktober.")
            page.fill("#answer_en", "We look at the benches in October.")
            page.check("input[name=on_board]")
            page.click("form.stack button[type=submit]")
            page.wait_for_selector("p.notice")
            assert page.inner_text("p.notice") == "Gemt."
            assert page.inner_text("dd.status") == "Under behandling"
            assert "olga" in page.inner_text("table.history")
            page.screenshot(path=str(shots / "4-idea-answered.png"), full_page=True)

            phone = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
            )
            visitor = phone.new_page()
            visitor.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            visitor.goto(base + "/f/GM-7K3Q")
            assert visitor.inner_text("h2.idea-title") == "Flere bænke ved stranden"
            assert visitor.inner_text("dd.status") == "Under behandling"
            assert visitor.inner_text("p.answer") == "Vi ser på bænkene i oktober."
            assert "olga" not in visitor.inner_text("body")
            visitor.screenshot(path=str(shots / "5-followup-da-phone.png"), full_page=True)
            visitor.click("a.lang-switch")
            visitor.wait_for_selector("html[lang=en]")
            assert visitor.inner_text("p.answer") == "We look at the benches in October."
            assert visitor.inner_text("dd.status") == "Being considered"
            visitor.screenshot(path=str(shots / "6-followup-en-phone.png"), full_page=True)
            visitor.goto(base + "/f/GM-2222")
            assert visitor.inner_text("h1") == "Your idea has not arrived yet"
            visitor.screenshot(path=str(shots / "7-followup-unknown.png"), full_page=True)
            visitor.goto(base + "/f/GM-HHHH")
            assert visitor.evaluate("window.__pwned") is None
            phone.close()

            page.get_by_role("button", name="Log ud").click()
            page.wait_for_url(base + "/signin?signed_out=1")
            assert page.inner_text("p.notice") == "Du er logget ud."
            page.screenshot(path=str(shots / "8-signed-out.png"), full_page=True)
            page.goto(base + "/ideas")
            assert page.url.startswith(base + "/signin")
            laptop.close()
        finally:
            browser.close()
    assert problems == []  # no CSP violation, no failed script or style
    assert {p.name for p in shots.glob("*.png")} >= {
        "1-signin.png",
        "2-ideas.png",
        "3-hostile-idea.png",
        "4-idea-answered.png",
        "5-followup-da-phone.png",
        "6-followup-en-phone.png",
        "7-followup-unknown.png",
        "8-signed-out.png",
    }
