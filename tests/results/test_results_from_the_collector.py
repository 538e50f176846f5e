"""Done when: a workbook and a report made from the collector's merged data of two kiosks
agree with each other and with a count written here.

Two real kiosk data directories (the store and the survey archive as the kiosk app writes
them), each sent with the real ``kiosk sync`` to the real collector on a loopback port;
then ``kiosk collector export --format xlsx`` and ``kiosk report --db`` on its database.
Version 2 of the survey exists only as the definitions the kiosks kept and sent: no survey
file of it is given, so its texts in both outputs prove the definitions travelled.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from openpyxl import load_workbook

from helpers.collector import TOKEN, CollectorProcess
from helpers.results_event import KIOSKS, V2_FESTIVAL, make_event
from kiosk.collector.storage import CollectorStorage
from kiosk.store import RecordStore
from kiosk.survey import load_survey, survey_hash
from kiosk.survey.archive import keep_definition

pytestmark = pytest.mark.timeout(240)
TILKNYTNING_TEXT = "Hvad er din tilknytning til Gentofte?"
#: The labels visitors saw for the choices of tilknytning (the bundled survey, Danish).
TILKNYTNING_LABELS = {
    "bor": "Jeg bor her",
}


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=180
    )


def hand_count(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The default tally (completed and partial in, suspect out and apart), by hand."""
    count: dict[str, Any] = Counter()
    tilknytning: Counter[str] = Counter()
    per_kiosk: Counter[str] = Counter()
    for r in records:
        if r["kind"] == "idea":
            if not r["suspect"]:
                count["ideas"] += 1
                per_kiosk[r["kiosk_id"]] += 1
            continue
        if r["suspect"]:
            count["suspect"] += 1
            continue
        count["completed" if r["completed"] else "partial"] += 1
        count["visitors"] += 1
        per_kiosk[r["kiosk_id"]] += 1
        if "tilknytning" in r["answers"]:
            tilknytning[r["answers"]["tilknytning"]] += 1
    return {"figures": count, "tilknytning": tilknytning, "per_kiosk": per_kiosk}


def collector_event(directory: Path) -> tuple[list[dict[str, Any]], list[Path]]:
    """The hand-made event with reference codes as kiosks make them (the collector's
    schema refuses results_event's ``GM-0001``: no 0 or 1 in a reference code)."""
    records, files = make_event(directory)
    ideas = [r for r in records if r.get("ref")]
    for n, record in enumerate(ideas):
        record["ref"] = f"GM-{'23456789ABCDEFGH'[n]}K3Q"
    return records, files


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_workbook_and_report_from_the_collector_agree_with_the_hand_count(
    tmp_path: Path,
) -> None:
    records, files = collector_event(tmp_path / "surveys")
    surveys = [load_survey(path) for path in files]
    for kiosk_id in KIOSKS:
        data_dir = tmp_path / kiosk_id
        for survey in surveys:  # each kiosk ran both versions during the day
            keep_definition(data_dir, survey, survey_hash(survey))
        with RecordStore(data_dir) as store:
            for record in records:
                if record["kiosk_id"] == kiosk_id:
                    store.save(record)

    token = tmp_path / "collector.token"
    token.write_text(TOKEN)
    db = tmp_path / "collector.db"
    collector = CollectorProcess(db, token).start()
    try:
        for kiosk_id in KIOSKS:
            done = kiosk(
                *("sync", "--data", str(tmp_path / kiosk_id), "--endpoint", collector.url),
                *("--token-file", str(token), "--verify"),
            )
            assert done.returncode == 0, done.stdout + done.stderr
            assert "MATCH" in done.stdout
    finally:
        collector.stop()
    assert len(collector.rows()) == len(records)

    before = digest_of(db)
    book_path = tmp_path / "resultater.xlsx"
    exported = kiosk(
        *("collector", "export", "--db", str(db), "--format", "xlsx", "--out", str(book_path))
    )
    assert exported.returncode == 0, exported.stderr
    report_path = tmp_path / "rapport.html"
    reported = kiosk("report", "--db", str(db), "-o", str(report_path))
    assert reported.returncode == 0, reported.stderr
    for run in (exported, reported):
        assert "no definition of" not in run.stderr  # version 2 came from the collector
    assert digest_of(db) == before  # read only

    want = hand_count(records)
    figures = want["figures"]

    # the workbook, read back with openpyxl
    book = load_workbook(book_path)
    rows = list(book["Svar"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    assert V2_FESTIVAL in col
    book_figures = {
        "visitors": len(body),
        "completed": sum(r[col["Gennemført"]] == "Ja" for r in body),
        "partial": sum(r[col["Gennemført"]] == "Nej" for r in body),
        "ideas": book["Idékort"].max_row - 1,
    }
    book_kiosks = Counter(r[col["Kiosk"]] for r in body)
    idea_rows = list(book["Idékort"].iter_rows(values_only=True))
    idea_kiosk = idea_rows[0].index("Kiosk")
    book_kiosks.update(r[idea_kiosk] for r in idea_rows[1:])
    book_bor = sum(r[col[TILKNYTNING_TEXT]] == TILKNYTNING_LABELS["bor"] for r in body)
    about = {r[0]: r[1] for r in book["Om udtrækket"].iter_rows(values_only=True) if r[0]}
    assert any(str(db) in str(v) for v in about.values())

    # the report, parsed with lxml
    page = lxml.html.parse(str(report_path)).getroot()
    survey = page.xpath('//div[@class="key-figures"][@data-survey="gentofte-moedes"]')[0]

    def figure(name: str) -> int:
        return int(survey.xpath(f'.//*[@data-figure="{name}"]')[0].text_content())

    report_figures = {name: figure(name) for name in ("visitors", "completed", "partial", "ideas")}
    report_kiosks = {
        k: int(page.xpath(f'//*[@data-kiosk="{k}"]')[0].text_content()) for k in KIOSKS
    }
    question = page.xpath('//div[@class="question"][@data-question="tilknytning"]')[0]
    report_tilknytning = {
        row.get("data-choice"): int(row.xpath('.//*[@data-figure="count"]')[0].text_content())
        for row in question.xpath(".//tr[@data-choice]")
    }
    festival = page.xpath('//div[@class="question"][@data-question="festival"]//h3')[0]
    assert V2_FESTIVAL in festival.text_content()
    assert figure("suspect") == figures["suspect"]

    hand = {name: figures[name] for name in ("visitors", "completed", "partial", "ideas")}
    assert book_figures == hand
    assert report_figures == hand
    assert dict(book_kiosks) == dict(want["per_kiosk"]) == report_kiosks
    assert report_tilknytning == {k: want["tilknytning"][k] for k in report_tilknytning}
    assert set(report_tilknytning) == {"bor", "arbejder", "forening", "besoeger"}
    assert book_bor == report_tilknytning["bor"] == want["tilknytning"]["bor"]


def test_a_collector_without_definitions_names_the_missing_ones(tmp_path: Path) -> None:
    """Records from an older collector (no surveys table): the report is made, by id where
    no definition is known, and says which definition is missing; nothing is written."""
    records, _ = collector_event(tmp_path / "surveys")
    db = tmp_path / "old.db"
    storage = CollectorStorage(db)
    storage.store_batch([(r["id"], json.loads(json.dumps(r))) for r in records])
    storage.close()
    before = digest_of(db)
    out = tmp_path / "r.html"
    done = kiosk("report", "--db", str(db), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "no definition of gentofte-moedes version 2" in done.stderr
    assert "definition mangler" in out.read_text(encoding="utf-8")
    assert digest_of(db) == before


def test_bad_sources_get_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    done = kiosk("report", "--db", str(junk), "-o", str(tmp_path / "r.html"))
    assert done.returncode == 2 and "is not a collector database" in done.stderr
    assert "Traceback" not in done.stderr
    both = kiosk("report", "--db", str(junk), "--data", str(tmp_path), "-o", "r.html")
    assert both.returncode == 2 and "one of the two" in both.stderr
    neither = kiosk("report", "-o", str(tmp_path / "r.html"))
    assert neither.returncode == 2 and "one of the two" in neither.stderr
    no_name = kiosk("collector", "export", "--db", str(junk), "--format", "xlsx")
    assert no_name.returncode == 2 and "needs a file name" in no_name.stderr
