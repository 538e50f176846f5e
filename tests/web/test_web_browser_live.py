"""The live pages in a real browser (Debian's chromium, headless) against the real collector
process on a loopback port, fed by two real kiosk data directories through the real
``kiosk sync``: sign in, the overview shows both kiosks with the synced counts and refreshes
itself when more arrive, the results page's numbers, an idea put on the board and then
hidden (the ideas page's own form) disappears from the board, sign out. A screenshot of each
page is kept (in $BORGERKIOSK_WEB_ARTEFACTS when set, else in tmp_path/screenshots).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from helpers.collector import CollectorProcess
from helpers.web import ORGANISER, TOKEN, idea_record
from kiosk.collector.accounts import add_account
from kiosk.collector.storage import CollectorStorage
from kiosk.paths import SURVEYS_DIR
from kiosk.records import new_record
from kiosk.store import RecordStore
from kiosk.survey import load_survey, survey_hash

pytestmark = pytest.mark.timeout(240)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SURVEY = "gentofte-moedes"
HASH = survey_hash(load_survey(SURVEYS_DIR / "gentofte-moedes.yaml"))
#: (kiosk id, answers to tilknytning): what each kiosk's visitors chose.
PLAN = {
    "raadhuset": ["bor"] * 5 + ["arbejder"] * 3 + ["forening"] * 2,
    "biblioteket": ["bor"] * 2 + ["besoeger"] * 4,
}


def visit(kiosk_id: str, choice: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return new_record(
        kind="response",
        survey_id=SURVEY,
        survey_version=1,
        survey_hash=HASH,
        kiosk_id=kiosk_id,
        lang="da",
        started_at=now,
        completed=True,
        answers={"tilknytning": choice, "festival": 4},
    )


def kiosk_sync(data_dir: Path, collector: CollectorProcess) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--data", str(data_dir), "--endpoint",
         collector.url, "--token-file", str(collector.token_file)],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BORGERKIOSK_WEB_ARTEFACTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def event(tmp_path: Path) -> Any:
    """A collector with an organiser, and two kiosks' data directories synced to it."""
    db = tmp_path / "collector.db"
    storage = CollectorStorage(db)
    add_account(storage, ORGANISER[0], "organiser", ORGANISER[1])
    storage.close()
    token_file = tmp_path / "collector.token"
    token_file.write_text(TOKEN)
    collector = CollectorProcess(db, token_file).start()
    dirs = {}
    for kiosk_id, choices in PLAN.items():
        data_dir = tmp_path / kiosk_id
        with RecordStore(data_dir, durable=False) as store:
            for choice in choices:
                store.save(visit(kiosk_id, choice))
            if kiosk_id == "raadhuset":
                store.save(idea_record(kiosk_id, "GM-BNK4", "Flere bænke ved stranden"))
        kiosk_sync(data_dir, collector)
        dirs[kiosk_id] = data_dir
    yield collector, dirs
    collector.stop()


def cell(page: Any, kiosk_id: str, field: str) -> int:
    return int(page.inner_text(f'tr[data-kiosk="{kiosk_id}"] td[data-field="{field}"]'))


def test_organiser_watches_the_event_live(event, shots: Path) -> None:  # type: ignore[no-untyped-def]
    assert Path(CHROMIUM).exists(), "chromium is missing: apt-get install chromium"
    collector, dirs = event
    base = collector.url
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            laptop = browser.new_context(viewport={"width": 1280, "height": 900})
            page = laptop.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(base + "/overview")
            assert page.url.startswith(base + "/signin?next=")
            page.fill("#name", ORGANISER[0])
            page.fill("#password", ORGANISER[1])
            page.click("form.stack button[type=submit]")
            page.wait_for_url(base + "/overview")

            # both kiosks, with the counts of what they synced: the idea card is a record too,
            # of 5 September 2026 (webtools.idea_record), so not of today
            for kiosk_id, choices in PLAN.items():
                synced = len(choices) + (1 if kiosk_id == "raadhuset" else 0)
                assert cell(page, kiosk_id, "total") == synced
                assert cell(page, kiosk_id, "today") == len(choices)
                assert cell(page, kiosk_id, "pending") == 0
            assert page.locator("#quiet-warning").count() == 0
            assert page.evaluate("typeof window.htmx") == "object"  # the vendored script ran
            page.screenshot(path=str(shots / "live-1-overview.png"), full_page=True)

            # three more visits reach the collector: the page shows them by itself
            with RecordStore(dirs["biblioteket"], durable=False) as store:
                for _ in range(3):
                    store.save(visit("biblioteket", "bor"))
            kiosk_sync(dirs["biblioteket"], collector)
            # (expect polls from Playwright's own world: the page's CSP forbids eval)
            total = page.locator('tr[data-kiosk="biblioteket"] td[data-field="total"]')
            expect(total).to_have_text("9", timeout=60_000)
            assert page.url == base + "/overview"  # refreshed in place, not reloaded
            page.screenshot(path=str(shots / "live-2-overview-refreshed.png"), full_page=True)

            # results: the same numbers as the visits sent
            page.click("nav a[href='/results']")
            page.wait_for_url(base + "/results")
            page.click(f"a[href='/results/{SURVEY}']")
            page.wait_for_url(base + f"/results/{SURVEY}")
            choices = Counter(c for cs in PLAN.values() for c in cs) + Counter({"bor": 3})
            assert int(page.inner_text('b[data-figure="visitors"]')) == sum(choices.values())
            rows = page.locator('[data-question="tilknytning"] tr[data-choice]')
            shown = {
                rows.nth(i).get_attribute("data-choice"): int(
                    rows.nth(i).locator('td[data-figure="count"]').inner_text()
                )
                for i in range(rows.count())
            }
            assert +Counter(shown) == choices
            chart = page.locator('[data-question="tilknytning"] .chart img')
            assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
            page.screenshot(path=str(shots / "live-3-results.png"), full_page=True)
            page.select_option("select[name=kiosk]", "raadhuset")
            page.click("form.filters button[type=submit]")
            page.wait_for_url("**kiosk=raadhuset**")
            assert int(page.inner_text('b[data-figure="visitors"]')) == len(PLAN["raadhuset"])
            page.screenshot(path=str(shots / "live-4-results-filtered.png"), full_page=True)

            # the idea onto the board (the ideas page's form), then the board on a projector
            page.goto(base + "/ideas")
            page.get_by_role("link", name="Flere bænke ved stranden").click()
            page.wait_for_selector("input[name=on_board]")
            page.check("input[name=on_board]")
            page.click("form.stack button[type=submit]")
            page.wait_for_selector("p.notice")
            idea_url = page.url
            projector = browser.new_context(viewport={"width": 1920, "height": 1080})
            board = projector.new_page()
            board.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            board.goto(base + f"/board/{SURVEY}?q=tilknytning&q=festival")
            assert "Flere bænke ved stranden" in board.inner_text(".board-ideas")
            bars = board.locator('[data-question="tilknytning"] [data-choice]')
            assert bars.count() == len(choices)
            board.screenshot(path=str(shots / "live-5-board.png"), full_page=True)

            # hidden by the organiser: gone from the board at its next refresh
            page.goto(idea_url)
            page.check("input[name=hidden]")
            page.click("form.stack button[type=submit]")
            page.wait_for_selector("p.notice")
            expect(board.locator(".board-ideas")).to_have_count(0, timeout=60_000)
            assert "Flere bænke ved stranden" not in board.inner_text("body")
            board.screenshot(path=str(shots / "live-6-board-idea-hidden.png"), full_page=True)
            projector.close()

            page.goto(base + "/overview")
            page.get_by_role("button", name="Log ud").click()
            page.wait_for_url(base + "/signin?signed_out=1")
            page.goto(base + "/overview")
            assert page.url.startswith(base + "/signin")
            page.screenshot(path=str(shots / "live-7-signed-out.png"), full_page=True)
            laptop.close()
        finally:
            browser.close()
    assert problems == []  # no CSP violation, no failed script, style or chart
    assert len(list(shots.glob("live-*.png"))) == 7
