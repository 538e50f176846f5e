"""The results pages read each survey version in the words its visitors saw: the definitions
the kiosks sent to the collector (``PUT /v1/surveys/{hash}``), not only the bundled files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html

from helpers.results_event import V1_FESTIVAL, V2_FESTIVAL, write_v2
from helpers.web import ORGANISER, TOKEN, client_for, make_app, submit
from kiosk.records import new_record
from kiosk.survey import load_survey, survey_hash
from kiosk.survey.archive import keep_definition


def test_a_version_only_the_kiosks_had_is_shown_in_its_own_words(tmp_path: Path) -> None:
    v2 = load_survey(write_v2(tmp_path / "files"))
    digest = survey_hash(v2)
    keep_definition(tmp_path / "kiosk", v2, digest)  # as the kiosk keeps it on its disk
    body = (tmp_path / "kiosk" / "surveys" / f"{digest}.json").read_bytes()
    app, storage = make_app(tmp_path / "c.db")
    try:
        kiosk = client_for(app)
        start = datetime(2026, 9, 5, 10, 0, tzinfo=UTC)
        records = [
            new_record(
                kind="response",
                survey_id=v2.id,
                survey_version=2,
                survey_hash=digest,
                kiosk_id="raadhus",
                lang="da",
                started_at=(start + timedelta(minutes=n)).isoformat().replace("+00:00", "Z"),
                submitted_at=(start + timedelta(minutes=n + 1)).isoformat().replace("+00:00", "Z"),
                completed=True,
                answers={"tilknytning": "bor", "festival": 4},
            )
            for n in range(3)
        ]
        submit(kiosk, "raadhus", records)
        organiser = client_for(app, ORGANISER)

        def festival_text() -> str:
            reply = organiser.get(f"/results/{v2.id}")
            assert reply.status_code == 200, reply.text[:300]
            return lxml.html.fromstring(reply.text).text_content()

        assert V2_FESTIVAL not in festival_text()  # version 2 is in no bundled file
        sent = kiosk.put(
            f"/v1/surveys/{digest}",
            content=body,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        assert sent.status_code == 200, sent.text
        assert json.loads(sent.text)["status"] == "accepted"
        shown = festival_text()
        assert V2_FESTIVAL in shown
        assert V1_FESTIVAL not in shown
    finally:
        storage.close()
