"""Survey definitions travel with the records (issue 12): a kiosk keeps every survey it has
run in its data directory, and a report made after the survey file was lost still shows the
texts the visitors saw."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kiosk.app.launch import build_app, load_surveys
from kiosk.cli import cli
from kiosk.config import KioskConfig
from kiosk.records import new_record
from kiosk.store import RecordStore
from kiosk.survey import survey_hash
from kiosk.survey.archive import kept_definitions

SURVEY = """\
id: borgermoede-strand
version: 3
languages: [da]
title: {da: Borgermøde om stranden}
intro: {da: To spørgsmål}
thanks: {da: Tak}
questions:
  - id: bade
    type: yes_no
    text: {da: "Bader du ved Hellerup Strand om sommeren?"}
"""


def test_the_kiosk_keeps_each_survey_once_and_reports_use_it_when_the_file_is_gone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "strand.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    data = tmp_path / "data"
    (survey,) = load_surveys([path])
    digest = survey_hash(survey)
    for _run in range(2):  # a second start writes nothing new
        app = build_app(KioskConfig(kiosk_id="strand-1"), [survey], data)
        app.warm_up()
        app.close_store()
    kept = data / "surveys" / f"{digest}.json"
    assert kept.is_file() and sorted(p.name for p in (data / "surveys").iterdir()) == [kept.name]
    assert json.loads(kept.read_text(encoding="utf-8"))["id"] == "borgermoede-strand"
    with RecordStore(data) as store:
        store.save(
            new_record(kind="response", survey_id=survey.id, survey_version=3,
                       survey_hash=digest, kiosk_id="strand-1", lang="da",
                       started_at="2026-09-05T10:00:00.000Z", completed=True,
                       answers={"bade": True})
        )  # fmt: skip
    path.unlink()  # the survey file is edited away or lost after the event
    report = tmp_path / "rapport.html"
    result = CliRunner().invoke(cli, ["report", "--data", str(data), "-o", str(report)])
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert "Bader du ved Hellerup Strand om sommeren?" in html
    assert "definition mangler" not in html


def test_a_damaged_kept_definition_is_named_and_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "surveys"
    folder.mkdir()
    damaged = folder / ("a" * 64 + ".json")
    damaged.write_text("{not json", encoding="utf-8")
    found, problems = kept_definitions(tmp_path)
    assert found == []
    assert problems and str(damaged) in problems[0]
    assert damaged.read_text(encoding="utf-8") == "{not json"  # read only: never deleted
