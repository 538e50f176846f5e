"""Random and mutated submissions against the real collector (issue 10's fuzz test, the
submissions part): never a 500, never a traceback, no accepted record that breaks the
schema, and an export of whatever ids were sent writes nothing outside its folder."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.collector import TOKEN, CollectorProcess, kiosk_record
from kiosk.collector.schema import RecordModel
from kiosk.collector.storage import CollectorStorage
from kiosk.ids import is_slug, kiosk_id_problem
from kiosk.sync.protocol import canonical_json

pytestmark = pytest.mark.timeout(600)
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
KIOSK = "fuzz"

#: Characters that have broken something somewhere: controls, escapes, bidi, surrogates,
#: path and formula starters, quotes.
NASTY = list("\x00\x07\x1b\x9b\x85\u2028\u202e\u2066\ud800\udfff\n\r\t/.\\=+-@\"'%; ")
texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(NASTY)), max_size=20)
INTERESTING: list[Any] = [
    "1", "true", True, False, 1, 0, -1, 1.0, 1.5, 2**64, -(2**63), None, "", [], {},
    "../PWNED-rel", "/tmp/PWNED-abs", "..", "9999-99-99T99:99:99Z", "2026-02-30T10:00:00Z",
    "2026-09-05T10:00:00Z", "\ud800", "x" * 65, "x" * 1001, '=HYPERLINK("http://x","c")',
    "\x1b]0;pwned\x07\x1b[2J", "gentofte-moedes", "GM-7K3Q", "a" * 64,
]  # fmt: skip
json_values = st.recursive(
    st.one_of(st.sampled_from(INTERESTING), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(texts, st.sampled_from(NASTY)),
                                                     inner, max_size=4)
    ),
    max_leaves=8,
)  # fmt: skip
FIELDS = [*RecordModel.model_fields, "synced_at", "contact"]


@st.composite
def mutated_records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record with zero to three fields replaced, removed or added."""
    kind = draw(st.sampled_from(["response", "idea"]))
    extra: dict[str, Any] = {}
    if kind == "idea":
        extra = {"idea": {"theme": "klima", "title": "Flere træer", "description": "ja"}}
    record = kiosk_record(KIOSK, draw(st.integers(0, 99)), kind=kind, **extra)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["set", "delete", "answer", "idea"]))
        field = draw(st.sampled_from(FIELDS))
        if action == "set":
            record[field] = draw(json_values)
        elif action == "delete":
            record.pop(field, None)
        elif action == "answer" and isinstance(record.get("answers"), dict):
            record["answers"][draw(st.one_of(texts, st.sampled_from(INTERESTING[15:])))] = draw(
                json_values
            )
        elif action == "idea":
            idea = dict(record["idea"]) if isinstance(record.get("idea"), dict) else {}
            idea[draw(st.sampled_from(["theme", "title", "description", "x"]))] = draw(json_values)
            record["idea"] = idea
    return record


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """What a hostile kiosk might post: mostly submissions of mutated records."""
    shape = draw(st.sampled_from(["submission", "submission", "submission", "json", "bytes"]))
    if shape == "bytes":
        return draw(st.binary(max_size=300))
    if shape == "json":
        return json.dumps(draw(json_values)).encode()
    kiosk_id = draw(st.one_of(st.just(KIOSK), st.sampled_from(INTERESTING), texts))
    records: list[Any] = draw(st.lists(mutated_records(), max_size=5))
    if draw(st.booleans()):
        records.append(draw(json_values))  # a record that is not even an object
    for record in records:
        if isinstance(record, dict) and record.get("kiosk_id") == KIOSK:
            record["kiosk_id"] = kiosk_id
    submission: Any = {"kiosk_id": kiosk_id, "records": records}
    if draw(st.booleans()):
        submission[draw(texts)] = draw(json_values)
    return json.dumps(submission).encode()  # ensure_ascii: surrogates go as \ud800 escapes


def check_reply(collector: CollectorProcess, body: bytes, seen_ids: set[str]) -> None:
    reply = requests.post(collector.url + "/v1/submissions", data=body, headers=AUTH, timeout=30)
    assert reply.status_code in (200, 400, 422), (reply.status_code, reply.text[:300])
    payload = reply.json()
    if reply.status_code != 200:
        return
    sent = json.loads(body)["records"]
    results = payload["results"]
    assert len(results) == len(sent)
    accepted = [r["id"] for r in results if r["status"] in ("accepted", "duplicate")]
    if not accepted:
        return
    rows = collector.rows()
    for record_id in accepted:
        stored = json.loads(rows[record_id])
        RecordModel.model_validate(stored)  # nothing that breaks the schema is stored
        assert is_slug(stored["survey_id"]) and kiosk_id_problem(stored["kiosk_id"]) is None
        assert rows[record_id] == canonical_json(stored)
        seen_ids.add(record_id)


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def test_fuzzed_submissions_never_break_the_collector(
    shared_collector: CollectorProcess, tmp_path: Path
) -> None:
    seen: set[str] = set()
    survey_ids: list[Any] = []

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=bodies())
    def submit(body: bytes) -> None:
        check_reply(shared_collector, body, seen)
        try:
            for record in json.loads(body)["records"]:
                survey_ids.append(copy.deepcopy(record["survey_id"]))
        except (ValueError, TypeError, KeyError, IndexError):
            pass

    submit()
    assert seen, "no record was accepted: the fuzz would test only refusals"
    log = shared_collector.log.read_text(errors="replace")
    assert "Traceback" not in log and " 500 " not in log

    # whatever survey ids were sent, even had they been stored: the export stays in its folder
    storage = CollectorStorage(tmp_path / "sent.db")
    try:
        batch = [(f"id-{n}", {**kiosk_record(KIOSK, n), "survey_id": sid})
                 for n, sid in enumerate(survey_ids)]  # fmt: skip
        storage.store_batch([(rid, {**rec, "id": rid}) for rid, rec in batch
                             if isinstance(rec["survey_id"], str)
                             and not _has_surrogate(rec["survey_id"])])  # fmt: skip
    finally:
        storage.close()
    out = tmp_path / "box" / "csv"
    out.mkdir(parents=True)
    before = {p for p in tmp_path.rglob("*")}
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "collector", "export", "--db", str(tmp_path / "sent.db"),
         "--format", "csv", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    new = {p for p in tmp_path.rglob("*")} - before
    assert all(path.parent == out for path in new), sorted(map(str, new))[:10]
