"""``kiosk serve`` as tablets meet it: the real server, Debian's chromium, taps only.

Each test starts ``kiosk serve`` on a free loopback port with a data directory of its own,
opens the kiosk in a headless browser and reads the screen from the page's terminal. Every
wait is bounded.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from helpers.serve import (
    CATCH_TERMINAL,
    CHROMIUM,
    FIRST,
    QR_BLOCKS,
    SECOND,
    START_IDEA,
    START_SURVEY,
    ServeProcess,
    Tablet,
    WifiProxy,
    children,
    session_pids,
    stored_records,
    survey_file,
    take_survey,
    wait_for,
)

pytestmark = pytest.mark.timeout(240)
VIEWPORT = {"width": 1024, "height": 700}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServeProcess]:
    served = ServeProcess(tmp_path / "data", [str(survey_file(tmp_path))]).start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Any]:
    """Launches headless chromium (the system's, never a download) as often as asked."""
    with sync_playwright() as playwright:
        launched: list[Any] = []

        def launch() -> Any:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            launched.append(browser)
            return browser

        yield launch
        for browser in launched:
            if browser.is_connected():
                browser.close()


def open_tablet(browsers: Any, url: str) -> tuple[Any, Tablet]:
    browser = browsers()
    return browser, Tablet(browser.new_page(viewport=VIEWPORT)).open(url)


def qr_blocks(tablet: Tablet) -> int:
    """How many half and full blocks the screen shows: a QR code is hundreds of them."""
    text = tablet.text()
    return sum(text.count(block) for block in QR_BLOCKS)


def typed_count(tablet: Tablet) -> int:
    """How many characters the answer field holds (its "N / 80 tegn" counter)."""
    found = re.search(r"(\d+) / \d+ tegn", tablet.text())
    return int(found.group(1)) if found else -1


def tap_letters(tablet: Tablet, letters: str) -> None:
    """Type on the kiosk's on-screen keyboard, one tap per key, each seen before the next."""
    for letter in letters:
        before = typed_count(tablet)
        label = "Mellemrum" if letter == " " else f"▊  {letter}  ▎"
        tablet.tap(label)
        wait_for(lambda n=before + 1: typed_count(tablet) == n, 15, f"the {letter!r} typed")


def test_a_tablet_takes_the_survey_and_writes_an_idea_by_taps_alone(
    server: ServeProcess, browsers: Any
) -> None:
    _browser, tablet = open_tablet(browsers, server.url("stand-1"))
    take_survey(tablet)
    tablet.wait_text("Scan for at følge din idé")
    wait_for(lambda: qr_blocks(tablet) > 100, 15, "the QR code drawn")
    tablet.tap("Tryk på skærmen")  # done: back to the welcome screen
    tablet.tap(START_IDEA)
    tablet.tap("1  Grønt")
    tablet.wait_text("Giv din idé en kort overskrift")
    tablet.wait_text("0 / 80 tegn")
    tap_letters(tablet, "bus")
    tablet.tap("Næste")
    tablet.wait_text("Idé: trin 3 af 3")
    tablet.wait_text("0 / 1000 tegn")
    tap_letters(tablet, "flere ture")
    tablet.tap("Afslut")
    tablet.wait_text("Din referencekode")
    wait_for(lambda: qr_blocks(tablet) > 100, 15, "the idea's QR code drawn")
    thanks = tablet.text()
    records = wait_for(lambda: len(stored_records(server.data_dir)) == 2, 10, "two records")
    records = stored_records(server.data_dir)
    assert {r["kiosk_id"] for r in records} == {"stand-1"}
    response, idea = sorted(records, key=lambda r: r["kind"] == "idea")
    assert response["completed"] is True
    assert response["answers"] == {"mood": True, "cykel": False}
    assert idea["kind"] == "idea" and idea["completed"] is True
    assert idea["idea"]["title"] == "bus"
    assert idea["idea"]["description"] == "flere ture"
    assert idea["ref"] in thanks


def test_two_tablets_at_once_store_both_visits_each_under_its_name(
    server: ServeProcess, browsers: Any
) -> None:
    _a, first = open_tablet(browsers, server.url("stand-a"))
    _b, second = open_tablet(browsers, server.url("stand-b"))
    first.wait_text(START_SURVEY)
    second.wait_text(START_SURVEY)
    assert len(session_pids(server)) == 2  # one process per browser
    first.tap(START_SURVEY)
    second.tap(START_SURVEY)
    first.wait_text(FIRST)
    second.wait_text(FIRST)
    first.tap("1  Ja")
    second.tap("2  Nej")
    first.wait_text(SECOND)
    second.wait_text(SECOND)
    first.tap("2  Nej")
    second.tap("1  Ja")
    first.wait_text("Tak for hjælpen")
    second.wait_text("Tak for hjælpen")
    wait_for(lambda: len(stored_records(server.data_dir)) == 2, 10, "both records")
    records = stored_records(server.data_dir)
    by_kiosk = {r["kiosk_id"]: r for r in records}
    assert set(by_kiosk) == {"stand-a", "stand-b"}
    assert by_kiosk["stand-a"]["answers"] == {"mood": True, "cykel": False}
    assert by_kiosk["stand-b"]["answers"] == {"mood": False, "cykel": True}
    assert len({r["id"] for r in records}) == 2
    assert len({r["ref"] for r in records}) == 2


def test_a_browser_closed_mid_visit_leaves_a_partial_record_and_no_process(
    server: ServeProcess, browsers: Any
) -> None:
    browser, tablet = open_tablet(browsers, server.url("stand-3"))
    tablet.tap(START_SURVEY)
    tablet.wait_text(FIRST)
    tablet.tap("1  Ja")
    tablet.wait_text(SECOND)
    (session,) = session_pids(server)
    browser.close()  # the tablet is gone mid-visit
    wait_for(lambda: not session_pids(server), 20, "the session process to end")
    # an exited process has no command line but stays in /proc until ``kiosk serve`` reaps it
    wait_for(lambda: not Path(f"/proc/{session}").exists(), 20, "the session to be reaped")
    (record,) = wait_for(lambda: stored_records(server.data_dir), 10, "the partial record")
    assert record["kiosk_id"] == "stand-3"
    assert record["completed"] is False
    assert record["answers"] == {"mood": True}
    assert server.proc is not None
    assert children(server.proc.pid) == []  # nothing else of the session either


def test_a_reload_mid_visit_saves_it_as_partial_and_starts_again_at_welcome(
    server: ServeProcess, browsers: Any
) -> None:
    _browser, tablet = open_tablet(browsers, server.url("stand-5"))
    tablet.tap(START_SURVEY)
    tablet.wait_text(FIRST)
    tablet.tap("1  Ja")
    tablet.wait_text(SECOND)
    (before,) = session_pids(server)
    tablet.page.reload(timeout=30_000)
    tablet.wait_text(START_SURVEY)  # a new session, at the welcome screen
    wait_for(lambda: before not in session_pids(server), 20, "the old session to end")
    assert len(session_pids(server)) == 1
    (record,) = wait_for(lambda: stored_records(server.data_dir), 10, "the partial record")
    assert (record["kiosk_id"], record["completed"]) == ("stand-5", False)
    assert record["answers"] == {"mood": True}


def test_a_session_that_ends_is_replaced_by_the_page_itself(
    server: ServeProcess, browsers: Any
) -> None:
    _browser, tablet = open_tablet(browsers, server.url("stand-6"))
    tablet.wait_text(START_SURVEY)
    (before,) = session_pids(server)
    for _ in range(5):  # the organiser's corner taps (demo mode), then "Close the kiosk"
        x, y = tablet.cell_centre(0, 0)
        tablet.page.mouse.click(x, y)
    tablet.tap("Luk kiosken")
    wait_for(lambda: before not in session_pids(server), 20, "the closed session to end")
    tablet.page.wait_for_url("**kiosk=stand-6**", timeout=15_000)
    wait_for(lambda: len(session_pids(server)) == 1, 30, "the page to start a new session")
    tablet.wait_text(START_SURVEY)


def test_a_tablet_that_loses_the_wifi_mid_visit_leaves_a_partial_record_and_no_process(
    server: ServeProcess, browsers: Any
) -> None:
    proxy = WifiProxy(server.port)
    try:
        url = server.url("stand-7").replace(f":{server.port}/", f":{proxy.port}/")
        _browser, tablet = open_tablet(browsers, url)
        tablet.tap(START_SURVEY)
        tablet.wait_text(FIRST)
        tablet.tap("2  Nej")
        tablet.wait_text(SECOND)
        (session,) = session_pids(server)
        proxy.cut()  # out of the hotspot's reach: no goodbye from the browser
        # the server's heartbeat (every 10 s) finds the connection dead
        wait_for(lambda: not Path(f"/proc/{session}").exists(), 60, "the session to end")
        (record,) = wait_for(lambda: stored_records(server.data_dir), 10, "the partial record")
        assert (record["kiosk_id"], record["completed"]) == ("stand-7", False)
        assert record["answers"] == {"mood": False}
    finally:
        proxy.close()


def test_stopping_the_server_mid_visit_saves_the_visit_and_ends_every_session(
    server: ServeProcess, browsers: Any
) -> None:
    _browser, tablet = open_tablet(browsers, server.url("stand-4"))
    tablet.tap(START_SURVEY)
    tablet.wait_text(FIRST)
    tablet.tap("2  Nej")
    tablet.wait_text(SECOND)
    (session,) = session_pids(server)
    assert server.stop() == 0
    wait_for(lambda: not Path(f"/proc/{session}").exists(), 10, "the session to end")
    (record,) = stored_records(server.data_dir)
    assert (record["kiosk_id"], record["completed"]) == ("stand-4", False)


def _status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize(
    "hostile", ["../x", "a/b", "-rf", "<script>x</script>", "x" * 65, "a\u202eb", "a\nb", " "]
)
def test_a_hostile_tablet_name_is_refused_and_never_quoted(
    server: ServeProcess, hostile: str
) -> None:
    status, body = _status(server.url(hostile))
    assert status == 400
    assert hostile.strip() not in body or hostile.strip() == ""
    assert "<script>x" not in body
    assert session_pids(server) == []


def test_a_wrong_or_missing_access_key_opens_nothing(server: ServeProcess) -> None:
    base = f"http://127.0.0.1:{server.port}"
    wrong = server.key[:-1] + ("a" if server.key[-1] != "a" else "b")
    for url in (
        f"{base}/",
        f"{base}/?kiosk=stand-1",
        f"{base}/?key={wrong}&kiosk=stand-1",
        f"{base}/?key=&kiosk=stand-1",
        f"{base}/?key={server.key[:5]}",
    ):
        status, body = _status(url)
        assert status == 403, url
        assert server.key not in body and "terminal" not in body
    for path in (f"/ws/{wrong}/stand-1", "/ws//stand-1", f"/ws/{server.key}/..%2Fx"):
        status, _ = _status(base + path)
        assert status in (400, 403, 404), path
    assert _status(base + "/static/")[0] in (403, 404)  # no file listing
    assert _status(base + "/download/x")[0] == 404  # no download route
    status, body = _status(server.url("stand-1"))
    assert status == 200 and "data-session-websocket-url" in body
    assert session_pids(server) == []


def test_an_unnamed_tablet_is_named_once_and_keeps_its_name(
    server: ServeProcess, browsers: Any
) -> None:
    browser = browsers()
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(server.url(), timeout=30_000)
    page.fill("#kiosk", "bad/name")
    page.click("#name-submit")
    page.wait_for_selector("#problem", timeout=15_000)
    page.fill("#kiosk", "stand-9")
    page.click("#name-submit")
    tablet = Tablet(page)
    page.add_init_script(CATCH_TERMINAL)
    page.reload(timeout=30_000)
    tablet.wait_text(START_SURVEY)
    for _ in range(5):  # the organiser's corner taps (no PIN set: demo mode)
        x, y = tablet.cell_centre(0, 0)
        page.mouse.click(x, y)
    tablet.wait_text("Kiosk: stand-9")
    tablet.wait_text("klares af kiosk serve")  # no sync of its own: the server's
    page.goto(server.url(), timeout=30_000)  # the bare address again: the name is kept
    page.wait_for_url("**kiosk=stand-9**", timeout=15_000)
    tablet.wait_text(START_SURVEY)


def test_a_large_text_address_draws_bigger_letters(server: ServeProcess, browsers: Any) -> None:
    browser = browsers()
    sizes = {}
    for size in ("normal", "large"):
        tablet = Tablet(browser.new_page(viewport=VIEWPORT)).open(server.url("s", size=size))
        tablet.wait_text(START_SURVEY)
        sizes[size] = tablet.page.evaluate(
            "() => [Number(window.__term.options.fontSize), window.__term.cols]"
        )
        tablet.page.close()
    assert sizes["normal"][0] == 16 and sizes["large"][0] == 22
    assert sizes["large"][1] < sizes["normal"][1]
