"""Every web page over real HTTP from ``kiosk collector serve`` on SQLite and on PostgreSQL: the
same visits and ideas sent to each, the same organiser's changes made through the forms, and
every figure the pages show (sign-in, overview, results, ideas, board, /f/{ref}) equal on both
and equal to counts made here."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import requests
from click.testing import CliRunner

from helpers.collector import CollectorProcess
from helpers.web import ORGANISER, TOKEN, VIEWER
from kiosk.cli import cli
from kiosk.paths import SURVEYS_DIR
from kiosk.records import new_record
from kiosk.survey import load_survey, survey_hash
from kiosk.sync.protocol import SUBMISSIONS_PATH

pytestmark = pytest.mark.timeout(240)

SURVEY = "gentofte-moedes"
HASH = survey_hash(load_survey(SURVEYS_DIR / f"{SURVEY}.yaml"))
ANSWERS = ["bor", "bor", "arbejder", "besoeger", "bor", "arbejder", "bor"]
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event() -> dict[str, list[dict[str, Any]]]:
    """Today's visits at two kiosks (one left half-way) and three ideas, one hostile."""
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    common = {"survey_id": SURVEY, "survey_version": 1, "survey_hash": HASH, "lang": "da"}
    visits: dict[str, list[dict[str, Any]]] = {"raadhus": [], "bibliotek": []}
    for n, answer in enumerate(ANSWERS):
        kiosk_id = "raadhus" if n % 2 == 0 else "bibliotek"
        start = now + timedelta(seconds=n)
        visits[kiosk_id].append(
            new_record(
                kind="response", kiosk_id=kiosk_id, started_at=iso(start),
                submitted_at=iso(start + timedelta(minutes=1)), completed=n != 6,
                answers={"tilknytning": answer}, **common,
            )
        )  # fmt: skip
    for ref, title, theme in [
        ("GM-AAAA", "Flere bænke ved søen", "aeldre"),
        ("GM-BBBB", "Cykelsti langs vejen", "klima-groent"),
        ("GM-CCCC", "<script>alert(1)</script>", "kultur"),
    ]:
        visits["raadhus"].append(
            new_record(
                kind="idea", kiosk_id="raadhus", started_at=iso(now),
                submitted_at=iso(now + timedelta(minutes=2)), completed=True, answers={},
                ref=ref, idea={"theme": theme, "title": title, "description": ""}, **common,
            )
        )  # fmt: skip
    return visits


def tree_of(reply: requests.Response) -> Any:
    assert reply.status_code == 200, (reply.url, reply.status_code, reply.text[:300])
    return lxml.html.fromstring(reply.text)


def number(tree: Any, xpath: str) -> int:
    found = tree.xpath(xpath)
    assert len(found) == 1, xpath
    return int(found[0].text_content().strip())


def signed_in(url: str, who: tuple[str, str]) -> requests.Session:
    session = requests.Session()
    token = _CSRF.search(session.get(url + "/signin", timeout=10).text)
    assert token
    reply = session.post(
        url + "/signin",
        data={"name": who[0], "password": who[1], "csrf_token": token.group(1)},
        timeout=30,
        allow_redirects=False,
    )
    assert reply.status_code == 303, reply.text[:300]
    return session


def figures(backend: str, tmp_path: Path, visits: dict[str, list[dict[str, Any]]]) -> dict:
    """Send ``visits`` to a fresh collector on ``backend``; every figure its pages show."""
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    collector = CollectorProcess(tmp_path / f"{backend}.db", token_file, backend=backend)
    for name, role, password in [(*ORGANISER[:1], "organiser", ORGANISER[1]),
                                 (*VIEWER[:1], "viewer", VIEWER[1])]:  # fmt: skip
        added = CliRunner().invoke(
            cli,
            ["collector", "user", "add", name, "--role", role, "--db", str(collector.db)],
            input=f"{password}\n{password}\n",
        )
        assert added.exit_code == 0, added.output
    collector.start()
    try:
        url = collector.url
        for kiosk_id, records in visits.items():
            sent = requests.post(
                url + SUBMISSIONS_PATH,
                json={"kiosk_id": kiosk_id, "records": records},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            )
            assert sent.status_code == 200, sent.text
        out: dict[str, Any] = {}
        # sign-in: a wrong password is refused on either database
        wrong = requests.Session()
        token = _CSRF.search(wrong.get(url + "/signin", timeout=10).text)
        assert token
        refused = wrong.post(
            url + "/signin",
            data={"name": VIEWER[0], "password": "not the password", "csrf_token": token.group(1)},
            timeout=30,
            allow_redirects=False,
        )
        out["wrong sign-in"] = refused.status_code
        organiser, viewer = signed_in(url, ORGANISER), signed_in(url, VIEWER)
        # the organiser answers one idea and puts two on the board, one of them hidden
        ideas = {r["ref"]: r["id"] for r in visits["raadhus"] if r["kind"] == "idea"}
        for ref, fields in [
            ("GM-AAAA", {"status": "sendt_videre", "answer_da": "Tak, sendt til vejafdelingen",
                         "on_board": "1"}),
            ("GM-CCCC", {"status": "modtaget", "on_board": "1", "hidden": "1"}),
        ]:  # fmt: skip
            form = organiser.get(f"{url}/ideas/{ideas[ref]}", timeout=10).text
            csrf = _CSRF.search(form)
            assert csrf
            saved = organiser.post(
                f"{url}/ideas/{ideas[ref]}",
                data={**fields, "csrf_token": csrf.group(1)},
                timeout=10,
                allow_redirects=False,
            )
            assert saved.status_code == 303, saved.text[:300]

        overview = tree_of(viewer.get(url + "/overview", timeout=10))
        for name in ("kiosks", "today", "total"):
            out[f"overview {name}"] = number(overview, f'//b[@data-figure="{name}"]')
        results = tree_of(viewer.get(f"{url}/results/{SURVEY}?f=1&partial=1", timeout=30))
        for name in ("visitors", "completed", "partial", "ideas"):
            out[f"results {name}"] = number(results, f'//b[@data-figure="{name}"]')
        rows = results.xpath('//*[@data-question="tilknytning"]//tr[@data-choice]')
        out["results tilknytning"] = +Counter(
            {r.get("data-choice"): int(r.xpath('string(td[@data-figure="count"])')) for r in rows}
        )
        listing = tree_of(viewer.get(url + "/ideas", timeout=10))
        out["ideas listed"] = len(listing.xpath('//table[@class="ideas"]/tbody/tr'))
        found = tree_of(viewer.get(url + "/ideas", params={"q": "CYKEL"}, timeout=10))
        out["ideas found"] = len(found.xpath('//table[@class="ideas"]/tbody/tr'))
        danish = tree_of(viewer.get(url + "/ideas", params={"q": "BÆNKE VED SØEN"}, timeout=10))
        out["ideas found æøå"] = len(danish.xpath('//table[@class="ideas"]/tbody/tr'))
        sent_on = tree_of(viewer.get(url + "/ideas", params={"status": "sendt_videre"}, timeout=10))
        out["ideas sent on"] = len(sent_on.xpath('//table[@class="ideas"]/tbody/tr'))
        history = tree_of(viewer.get(f"{url}/ideas/{ideas['GM-AAAA']}", timeout=10))
        out["history rows"] = len(history.xpath("//table//tbody/tr"))
        board = tree_of(requests.get(f"{url}/board/{SURVEY}", timeout=30))
        out["board ideas"] = sorted(li.get("data-idea") for li in board.xpath("//li[@data-idea]"))
        out["board ideas"] = [k for k, v in ideas.items() if v in out["board ideas"]]
        followup = tree_of(requests.get(f"{url}/f/GM-AAAA", timeout=10))
        out["followup status"] = followup.xpath('string(//dd[@class="status"])').strip()
        out["followup answer"] = followup.xpath('string(//p[@class="answer"])').strip()
        unknown = requests.get(f"{url}/f/GM-ZZZZ", timeout=10)
        out["followup unknown"] = unknown.status_code
        return out
    finally:
        collector.stop()


def test_every_page_shows_the_same_figures_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    visits = event()
    on_sqlite = figures("sqlite", tmp_path, visits)
    on_postgres = figures("postgresql", tmp_path, visits)
    assert on_postgres == on_sqlite
    # and both equal what was sent
    assert on_sqlite["wrong sign-in"] == 401  # the form again, with the reason
    assert on_sqlite["overview kiosks"] == 2
    assert on_sqlite["overview today"] == on_sqlite["overview total"] == len(ANSWERS) + 3
    assert on_sqlite["results visitors"] == len(ANSWERS)
    assert on_sqlite["results completed"] == len(ANSWERS) - 1
    assert on_sqlite["results partial"] == 1
    assert on_sqlite["results ideas"] == 3
    assert on_sqlite["results tilknytning"] == Counter(ANSWERS)
    assert on_sqlite["ideas listed"] == 3
    assert on_sqlite["ideas found"] == 1  # "CYKEL" finds "Cykelsti" on either database
    assert on_sqlite["ideas found æøå"] == 1  # and "BÆNKE VED SØEN" "Flere bænke ved søen"
    assert on_sqlite["ideas sent on"] == 1
    assert on_sqlite["history rows"] == 3  # status, answer, on the board
    assert on_sqlite["board ideas"] == ["GM-AAAA"]  # the hidden one never shows
    assert on_sqlite["followup answer"] == "Tak, sendt til vejafdelingen"
    assert on_sqlite["followup status"] == "Sendt videre til opgaveudvalget"
    assert on_sqlite["followup unknown"] == 200
