"""The live pages (overview, results, board): their numbers equal counts made here, the
results page equals the real ``kiosk report``, the board waits for 10 answers, and hostile
visitor (and kiosk) text is shown, never run, on every page."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import openpyxl
import pytest

from helpers.collector import BACKENDS
from helpers.pg_server import postgres_server
from helpers.web import ORGANISER, TOKEN, VIEWER, client_for, idea_record, make_app, submit
from kiosk.collector.ideas import update_idea
from kiosk.collector.web.live import LiveSettings
from kiosk.paths import SURVEYS_DIR
from kiosk.records import new_record, public_view
from kiosk.results.model import COPENHAGEN
from kiosk.store import RecordStore
from kiosk.survey import load_survey, survey_hash

SURVEY = "gentofte-moedes"
HASH = survey_hash(load_survey(SURVEYS_DIR / "gentofte-moedes.yaml"))
HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def response(kiosk_id: str, started: datetime, **fields: Any) -> dict[str, Any]:
    answers = fields.pop("answers", {"tilknytning": "bor"})
    return new_record(
        kind="response",
        survey_id=SURVEY,
        survey_version=1,
        survey_hash=HASH,
        kiosk_id=kiosk_id,
        lang="da",
        started_at=iso(started),
        submitted_at=iso(started + timedelta(minutes=1)),
        completed=fields.pop("completed", True),
        answers=answers,
        **fields,
    )


def post_status(client: Any, kiosk_id: str, **changes: Any) -> None:
    body = {
        "kiosk_id": kiosk_id,
        "pending": 0,
        "records": 0,
        "store_ok": True,
        "disk_free_bytes": 20 * 10**9,
        "app_version": "0.1.0",
        "clock": iso(datetime.now(UTC)),
    }
    body.update(changes)
    reply = client.post("/v1/status", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200, reply.text


def page(client: Any, url: str) -> Any:
    reply = client.get(url)
    assert reply.status_code == 200, (url, reply.status_code, reply.text[:500])
    return lxml.html.fromstring(reply.text)


def figure(tree: Any, xpath: str) -> int:
    found = tree.xpath(xpath)
    assert len(found) == 1, (xpath, len(found))
    return int(found[0].text_content().strip())


# -- overview ---------------------------------------------------------------------------------


def test_overview_counts_equal_the_records_sent(tmp_path: Path, collector_db: Path | str) -> None:
    app, storage = make_app(collector_db)
    kiosk = client_for(app)
    now = datetime.now(COPENHAGEN)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = midnight + (now - midnight) / 2  # surely today, whatever the hour
    yesterday = midnight - timedelta(hours=3)
    sent = {
        "hal-a": [response("hal-a", today) for _ in range(7)]
        + [response("hal-a", yesterday) for _ in range(4)],
        "hal-b": [response("hal-b", today) for _ in range(2)]
        + [response("hal-b", yesterday, completed=False) for _ in range(5)],
    }
    for kiosk_id, records in sent.items():
        submit(kiosk, kiosk_id, records)
    post_status(kiosk, "hal-a", pending=3, records=14)
    post_status(kiosk, "hal-b", pending=0, records=7, last_error="the collector answered HTTP 503")
    expected_today = {
        k: sum(1 for r in rs if r["started_at"] >= iso(midnight)) for k, rs in sent.items()
    }
    assert expected_today == {"hal-a": 7, "hal-b": 2}  # the test's own count, by hand
    for who in (VIEWER, ORGANISER):
        tree = page(client_for(app, who), "/overview")
        for kiosk_id, records in sent.items():
            row = f'//tr[@data-kiosk="{kiosk_id}"]'
            assert figure(tree, f'{row}/td[@data-field="total"]') == len(records)
            assert figure(tree, f'{row}/td[@data-field="today"]') == expected_today[kiosk_id]
        assert figure(tree, '//tr[@data-kiosk="hal-a"]/td[@data-field="pending"]') == 3
        assert figure(tree, '//b[@data-figure="total"]') == 18
        assert figure(tree, '//b[@data-figure="today"]') == 9
        assert "HTTP 503" in tree.xpath('string(//tr[@data-kiosk="hal-b"])')
        assert not tree.xpath('//*[@id="quiet-warning"]')  # both just heard from
        # the page refreshes itself from its fragment, with the vendored htmx
        live = tree.xpath('//*[@id="overview-live"]')[0]
        assert live.get("hx-get") == "/overview/live" and "every" in live.get("hx-trigger")
        assert tree.xpath('//script[@src="/static/htmx.min.js"]')
        assert not [s for s in tree.xpath("//script") if (s.text or "").strip()]
    storage.close()


def test_a_quiet_kiosk_is_warned_about_and_the_fragment_refreshes(
    tmp_path: Path, collector_db: Path | str
) -> None:
    app, storage = make_app(collector_db)
    post_status(client_for(app), "kiosk-stille")
    viewer = client_for(app, VIEWER)
    assert not page(viewer, "/overview").xpath('//*[@id="quiet-warning"]')
    app.state.live = LiveSettings(quiet_after=timedelta(0))  # any silence is too long now
    fragment = page(viewer, "/overview/live")
    warning = fragment.xpath('//*[@id="quiet-warning"]')
    assert warning and "kiosk-stille" in warning[0].text_content()
    assert fragment.xpath('//tr[@data-kiosk="kiosk-stille"]//span[contains(@class, "warn")]')
    # htmx asking after the session ended is sent to sign in, not given the sign-in form
    anonymous = client_for(app)
    reply = anonymous.get("/overview/live", headers={"HX-Request": "true"})
    assert reply.headers.get("HX-Redirect") == "/signin" and reply.text == ""
    assert anonymous.get("/overview/live").status_code == 303
    storage.close()


def test_two_data_directories_under_one_kiosk_id_are_named_on_the_overview(
    tmp_path: Path, collector_db: Path | str
) -> None:
    """Issue 11: the clash kiosk sync warns about is on the overview too, naming the id."""
    from kiosk.sync.protocol import SUBMISSIONS_PATH

    app, storage = make_app(collector_db)
    kiosk = client_for(app)
    started = datetime.now(UTC) - timedelta(minutes=5)
    for kiosk_id, store_id in (("twice", "a" * 32), ("twice", "b" * 32), ("once", "c" * 32)):
        for _ in range(2):  # a store sending again is still one data directory
            reply = kiosk.post(
                SUBMISSIONS_PATH,
                json={"kiosk_id": kiosk_id, "store_id": store_id,
                      "records": [response(kiosk_id, started)]},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )  # fmt: skip
            assert reply.status_code == 200, reply.text
    for path in ("/overview", "/overview/live"):
        tree = page(client_for(app, VIEWER), path)
        (warning,) = tree.xpath('//*[@id="shared-id-warning"]')
        names = [n.text_content() for n in warning.xpath('.//*[@class="kiosk-name"]')]
        assert names == ["twice"]
        assert "2" in warning.text_content()
        assert tree.xpath('//tr[@data-kiosk="twice"]//*[@data-field="shared"]')
        assert not tree.xpath('//tr[@data-kiosk="once"]//*[@data-field="shared"]')
        assert "troubled" in tree.xpath('//tr[@data-kiosk="twice"]')[0].get("class")
    storage.close()


def test_the_static_script_is_served_with_its_licence(
    tmp_path: Path, collector_db: Path | str
) -> None:
    app, storage = make_app(collector_db)
    client = client_for(app)
    script = client.get("/static/htmx.min.js")
    assert script.status_code == 200 and b"htmx" in script.content[:200]
    assert "javascript" in script.headers["content-type"]
    assert "Zero-Clause BSD" in client.get("/static/htmx.LICENSE.txt").text
    storage.close()


# -- results ----------------------------------------------------------------------------------


def visits() -> dict[str, list[dict[str, Any]]]:
    """Two kiosks' visits with known answers, partial and suspect ones among them."""
    start = datetime(2026, 9, 5, 10, 0, tzinfo=COPENHAGEN)
    plan = {
        "raadhus": [("bor", True, False)] * 6 + [("arbejder", True, False)] * 3
        + [("bor", False, False)] * 2 + [("besoeger", True, True)] * 2,
        "bibliotek": [("forening", True, False)] * 4 + [("bor", True, False)] * 1
        + [("arbejder", False, False)] * 3 + [("bor", True, True)] * 1,
    }  # fmt: skip
    out: dict[str, list[dict[str, Any]]] = {}
    for kiosk_id, rows in plan.items():
        out[kiosk_id] = []
        for n, (choice, completed, suspect) in enumerate(rows):
            day = start + timedelta(days=n % 2, minutes=n)  # two days: 5 and 6 September
            out[kiosk_id].append(
                response(
                    kiosk_id,
                    day,
                    answers={"tilknytning": choice, "festival": 1 + n % 5},
                    completed=completed,
                    suspect=suspect or None,
                )
            )
    return out


def expected(records: list[dict[str, Any]], **rule: Any) -> tuple[int, Counter[str]]:
    """The test's own count: visits counted, and tilknytning's answers among them."""
    kiosk, partial, suspect, day = (
        rule.get("kiosk"), rule.get("partial", True), rule.get("suspect", False), rule.get("day")
    )  # fmt: skip
    counted = []
    for r in records:
        if kiosk and r["kiosk_id"] != kiosk:
            continue
        local_day = datetime.fromisoformat(r["started_at"].replace("Z", "+00:00"))
        if day and local_day.astimezone(COPENHAGEN).date().isoformat() != day:
            continue
        if r.get("suspect"):
            if not suspect:
                continue
        elif not r["completed"] and not partial:
            continue
        counted.append(r)
    return len(counted), Counter(r["answers"]["tilknytning"] for r in counted)


def counts_on(tree: Any, question: str = "tilknytning") -> Counter[str]:
    rows = tree.xpath(f'//*[@data-question="{question}"]//tr[@data-choice]')
    found = Counter(
        {r.get("data-choice"): int(r.xpath('string(td[@data-figure="count"])')) for r in rows}
    )
    return +found  # zero counts dropped, as the test's count has none


@pytest.fixture(scope="module", params=BACKENDS)
def results_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("results")
    target = postgres_server().new_database("results") if request.param == "postgresql" else None
    app, storage = make_app(target or base / "c.db")
    data = visits()
    kiosk = client_for(app)
    for kiosk_id, records in data.items():
        submit(kiosk, kiosk_id, records)
    yield app, data, base
    storage.close()


@pytest.mark.parametrize(
    ("query", "rule"),
    [
        ("", {}),
        ("?f=1&partial=1&kiosk=raadhus", {"kiosk": "raadhus"}),
        ("?f=1", {"partial": False}),
        ("?f=1&partial=1&suspect=1", {"suspect": True}),
        ("?f=1&partial=1&from=2026-09-06&to=2026-09-06", {"day": "2026-09-06"}),
    ],
)
def test_results_numbers_equal_an_independent_count(results_site, query: str, rule: dict) -> None:  # type: ignore[no-untyped-def]
    app, data, _ = results_site
    everything = [r for records in data.values() for r in records]
    visitors, answers = expected(everything, **rule)
    assert visitors > 0
    tree = page(client_for(app, VIEWER), f"/results/{SURVEY}{query}")
    assert figure(tree, '//b[@data-figure="visitors"]') == visitors
    assert counts_on(tree) == answers
    section = tree.xpath('//*[@data-question="tilknytning"]')[0]
    assert int(section.get("data-answered")) == visitors
    assert tree.xpath(
        '//*[@data-question="festival"]//img[starts-with(@src, "data:image/svg+xml")]'
    )


def test_downloads_hold_the_counted_records(results_site) -> None:  # type: ignore[no-untyped-def]
    app, data, _ = results_site
    viewer = client_for(app, VIEWER)
    everything = [r for records in data.values() for r in records]
    visitors, _ = expected(everything, kiosk="bibliotek")
    query = "?f=1&partial=1&kiosk=bibliotek"
    rows = list(
        csv.DictReader(io.StringIO(viewer.get(f"/results/{SURVEY}/records.csv{query}").text))
    )
    assert len(rows) == visitors and {r["kiosk_id"] for r in rows} == {"bibliotek"}
    reply = viewer.get(f"/results/{SURVEY}/workbook.xlsx{query}")
    assert reply.headers["content-disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(reply.content))
    rows_in_sheet = [row for row in book.worksheets[0].iter_rows(values_only=True) if any(row)]
    assert len(rows_in_sheet) - 1 == visitors  # a header row, then one row a visit
    report = lxml.html.fromstring(viewer.get(f"/results/{SURVEY}/report.html{query}").text)
    assert figure(report, '//b[@data-figure="visitors"]') == visitors


def test_results_page_equals_the_real_kiosk_report(results_site) -> None:  # type: ignore[no-untyped-def]
    app, data, base = results_site
    dirs = []
    for kiosk_id, records in data.items():
        data_dir = base / f"data-{kiosk_id}"
        with RecordStore(data_dir, durable=False) as store:
            for record in records:
                store.save(dict(record))
        dirs.append(data_dir)
    out = base / "report.html"
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "report", *[a for d in dirs for a in ("--data", str(d))],
         "--survey", SURVEY, "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    tree = page(client_for(app, ORGANISER), f"/results/{SURVEY}")
    for name in ("visitors", "completed", "partial", "suspect"):
        xpath = f'//div[@data-survey="{SURVEY}"]//b[@data-figure="{name}"]'
        assert figure(tree, xpath) == figure(report, xpath), name
    for question in ("tilknytning", "festival"):
        assert counts_on(tree, question) == counts_on(report, question), question
    public = {json.dumps(public_view(r), sort_keys=True) for rs in data.values() for r in rs}
    assert len(public) == sum(len(rs) for rs in data.values())


def test_an_unknown_survey_is_a_page_not_an_error(results_site) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = results_site
    viewer = client_for(app, VIEWER)
    assert viewer.get("/results/nothing-here").status_code == 404
    assert viewer.get("/results/nothing-here/records.csv").status_code == 404
    index = page(viewer, "/results")
    assert index.xpath(f'//a[@href="/results/{SURVEY}"]')
    listed = " ".join(index.xpath('//ul[@class="survey-list"]//text()'))
    assert re.search(r"· (1 besvarelse|\d+ besvarelser)\)", listed), listed


# -- board ------------------------------------------------------------------------------------


@pytest.mark.parametrize("answered", [9, 10])
def test_the_board_shows_a_question_only_from_ten_answers(
    tmp_path: Path, collector_db: Path | str, answered: int
) -> None:
    app, storage = make_app(collector_db)
    start = datetime(2026, 9, 5, 10, 0, tzinfo=COPENHAGEN)
    records = [
        response("k", start, answers={"tilknytning": "bor" if n % 3 else "forening"})
        for n in range(answered)
    ]
    # more visits that skipped the question: they do not make it safe to show
    records += [response("k", start, answers={"festival": 3}) for _ in range(5)]
    submit(client_for(app), "k", records)
    anonymous = client_for(app)  # the board is public: the projector signs in to nothing
    for url in (f"/board/{SURVEY}?q=tilknytning", f"/board/{SURVEY}/live?q=tilknytning"):
        tree = page(anonymous, url)
        card = tree.xpath('//*[@data-question="tilknytning"]')
        assert len(card) == 1 and int(card[0].get("data-answered")) == answered
        bars = card[0].xpath(".//*[@data-choice]")
        if answered < 10:
            assert bars == [] and card[0].xpath('.//*[@data-waiting="1"]')
            assert "forening" not in lxml.html.tostring(card[0], encoding="unicode")
        else:
            shown = {
                b.get("data-choice"): int(b.xpath('string(.//*[@data-figure="count"])'))
                for b in bars
            }
            assert +Counter(shown) == Counter(
                r["answers"]["tilknytning"] for r in records[:answered]
            )
        assert not tree.xpath('//*[@data-question="festival"]')  # not chosen
    storage.close()


def test_the_board_shows_approved_ideas_and_never_hidden_ones(
    tmp_path: Path, collector_db: Path | str
) -> None:
    app, storage = make_app(collector_db)
    ideas = [
        idea_record("k", "GM-AAAA", "Flere bænke ved søen"),
        idea_record("k", "GM-BBBB", HOSTILE[0], description=HOSTILE[1]),
        idea_record("k", "GM-CCCC", "Skjult idé"),
        idea_record("k", "GM-DDDD", "Ikke udvalgt"),
    ]
    submit(client_for(app), "k", ideas)
    for idea in ideas[:3]:
        update_idea(storage, idea["id"], "olga", on_board=True)
    update_idea(storage, ideas[2]["id"], "olga", hidden=True)
    reply = client_for(app).get(f"/board/{SURVEY}")
    tree = lxml.html.fromstring(reply.text)
    on_board = [li.get("data-idea") for li in tree.xpath("//li[@data-idea]")]
    assert set(on_board) == {ideas[0]["id"], ideas[1]["id"]}
    assert "Skjult idé" not in reply.text and "Ikke udvalgt" not in reply.text
    assert HOSTILE[0] in tree.text_content()  # shown as text ...
    assert "<script>alert" not in reply.text and "<img src=x" not in reply.text  # ... not run
    assert not tree.xpath("//img") and not [s for s in tree.xpath("//script") if s.text]
    storage.close()


# -- hostile text on every page ---------------------------------------------------------------


def test_every_live_page_escapes_hostile_text(tmp_path: Path, collector_db: Path | str) -> None:
    app, storage = make_app(collector_db)
    kiosk = client_for(app)
    start = datetime(2026, 9, 5, 10, 0, tzinfo=COPENHAGEN)
    records = [
        response("k-hostile", start, answers={"tilknytning": "bor", "kommentar": text})
        for text in HOSTILE
    ]
    # an answer no definition knows: its value becomes a label on the page
    records += [response("k-hostile", start, answers={"ukendt": HOSTILE[1]}) for _ in range(10)]
    ideas = [
        idea_record("k-hostile", f"GM-{c * 4}", t, description=t)
        for c, t in zip("EFG", HOSTILE, strict=True)
    ]
    submit(kiosk, "k-hostile", records + ideas)
    for idea in ideas:
        update_idea(storage, idea["id"], "olga", on_board=True)
    post_status(kiosk, "k-hostile", last_error=HOSTILE[0] + " " + HOSTILE[1])
    organiser = client_for(app, ORGANISER)
    pages = ["/overview", "/overview/live", "/results", f"/results/{SURVEY}", f"/board/{SURVEY}",
             f"/board/{SURVEY}/live", f"/results/{SURVEY}/report.html"]  # fmt: skip
    for url in pages:
        reply = organiser.get(url)
        assert reply.status_code == 200, url
        text = reply.text
        assert "<script>alert" not in text, url
        assert "<img src=x" not in text, url
        assert 'href="javascript:' not in text, url
        tree = lxml.html.fromstring(text)
        assert not tree.xpath("//*[@onerror or @onload or @onclick]"), url
        assert not [s for s in tree.xpath("//script") if (s.text or "").strip()], url
        if "report.html" not in url:
            assert reply.headers["content-security-policy"].startswith("default-src 'self'"), url
    results = lxml.html.fromstring(organiser.get(f"/results/{SURVEY}").text)
    assert HOSTILE[0] in results.text_content()  # the visitor's words, shown as text
    overview = lxml.html.fromstring(organiser.get("/overview").text)
    assert HOSTILE[0] in overview.text_content()
    storage.close()


def test_after_new_records_the_page_says_it_is_recounting_then_shows_them(
    tmp_path: Path,
    collector_db: Path | str,
) -> None:
    import time

    app, storage = make_app(collector_db)
    kiosk = client_for(app)
    start = datetime(2026, 9, 5, 10, 0, tzinfo=COPENHAGEN)
    submit(kiosk, "k", [response("k", start) for _ in range(4)])
    viewer = client_for(app, VIEWER)
    first = page(viewer, f"/results/{SURVEY}")
    assert figure(first, '//b[@data-figure="visitors"]') == 4
    assert "tælles op nu" not in first.xpath('string(//*[@id="tallied"])')
    submit(kiosk, "k", [response("k", start) for _ in range(3)])
    # the last tally at once, said to be a recount's predecessor; the new one soon after
    stale = page(viewer, f"/results/{SURVEY}")
    assert figure(stale, '//b[@data-figure="visitors"]') == 4
    assert "tælles op nu" in stale.xpath('string(//*[@id="tallied"])')
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        fresh = page(viewer, f"/results/{SURVEY}")
        if "tælles op nu" not in fresh.xpath('string(//*[@id="tallied"])'):
            break
        time.sleep(0.1)
    assert figure(fresh, '//b[@data-figure="visitors"]') == 7
    # a download always counts what is there now
    rows = viewer.get(f"/results/{SURVEY}/records.csv").text.strip().splitlines()
    assert len(rows) - 1 == 7
    storage.close()


def test_collector_serve_quiet_after_reaches_the_overview(tmp_path: Path) -> None:
    import re

    import requests

    from helpers.collector import CollectorProcess
    from kiosk.collector.accounts import add_account
    from kiosk.collector.storage import CollectorStorage

    storage = CollectorStorage(tmp_path / "c.db")
    add_account(storage, VIEWER[0], "viewer", VIEWER[1])
    storage.close()
    (tmp_path / "token").write_text(TOKEN)
    collector = CollectorProcess(tmp_path / "c.db", tmp_path / "token", "--quiet-after", "25")
    collector.start()
    try:
        session = requests.Session()
        form = session.get(collector.url + "/signin", timeout=10).text
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)
        assert token
        session.post(
            collector.url + "/signin",
            data={"name": VIEWER[0], "password": VIEWER[1], "csrf_token": token.group(1)},
            timeout=10,
        )
        overview = session.get(collector.url + "/overview", timeout=10)
        assert overview.status_code == 200 and overview.url.endswith("/overview")
        assert "ikke er hørt fra i 25 minutter" in overview.text
    finally:
        collector.stop()
