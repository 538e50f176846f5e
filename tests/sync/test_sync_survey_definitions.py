"""Survey definitions travel with the records: ``PUT /v1/surveys/{survey_hash}`` on the real
collector, ``kiosk sync`` sending them before the records, and an older collector without
the route still taking the records."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from helpers.collector import TOKEN, CollectorProcess, free_port
from kiosk.collector.app import create_app
from kiosk.collector.storage import CollectorStorage
from kiosk.paths import SURVEYS_DIR
from kiosk.records import new_record
from kiosk.store import RecordStore
from kiosk.survey import load_survey, survey_hash
from kiosk.survey.archive import keep_definition
from kiosk.sync.background import BackgroundSync

pytestmark = pytest.mark.timeout(120)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SURVEY = load_survey(SURVEYS_DIR / "gentofte-moedes.yaml")
HASH = survey_hash(SURVEY)


def definition_of(data_dir: Path) -> dict[str, Any]:
    """The definition as the kiosk keeps it on its disk."""
    keep_definition(data_dir, SURVEY, HASH)
    return json.loads((data_dir / "surveys" / f"{HASH}.json").read_text(encoding="utf-8"))


def stored_surveys(db: Path | str) -> dict[str, str]:
    """hash -> body of the definitions a collector database holds (either database)."""
    from kiosk.collector.definitions import DEFINITIONS_VERSION, iter_definitions
    from kiosk.collector.storage import CollectorStorage

    storage = CollectorStorage(db, readonly=True)
    try:
        if storage.db.schema_version() < DEFINITIONS_VERSION:
            return {}
        return dict(iter_definitions(storage.db))
    finally:
        storage.close()


def kiosk_data(data_dir: Path, kiosk_id: str, count: int, *, keep: bool = True) -> list[str]:
    """A kiosk's data directory: ``count`` records of the bundled survey, and (``keep``)
    its definition kept as the kiosk app keeps it."""
    if keep:
        keep_definition(data_dir, SURVEY, HASH)
    ids = []
    with RecordStore(data_dir, durable=False) as store:
        for n in range(count):
            record = new_record(
                kind="response",
                survey_id=SURVEY.id,
                survey_version=SURVEY.version,
                survey_hash=HASH,
                kiosk_id=kiosk_id,
                lang="da",
                started_at="2026-09-05T10:00:00.000Z",
                completed=True,
                answers={"tilknytning": "bor", "alder": 20 + n},
            )
            store.save(record)
            ids.append(record["id"])
    return ids


@pytest.fixture
def collector(tmp_path: Path, token_file: Path) -> Iterator[CollectorProcess]:
    process = CollectorProcess(tmp_path / "collector.db", token_file).start()
    yield process
    process.stop()


def put(url: str, digest: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.put(
        f"{url}/v1/surveys/{digest}",
        data=data,
        headers={**AUTH, "Content-Type": "application/json", **(headers or {})},
        timeout=10,
    )


def test_the_same_definition_twice_is_fine_and_kept_once(
    tmp_path: Path, collector: CollectorProcess
) -> None:
    body = definition_of(tmp_path / "kiosk")
    first = put(collector.url, HASH, body)
    assert first.status_code == 200, first.text
    assert first.json() == {"survey_hash": HASH, "status": "accepted"}
    assert first.headers["X-Borgerkiosk-Sync"] == "1"
    again = put(collector.url, HASH, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    stored = stored_surveys(collector.db)
    assert list(stored) == [HASH]
    assert json.loads(stored[HASH]) == body
    no_token = requests.put(f"{collector.url}/v1/surveys/{HASH}", json=body, timeout=10)
    assert no_token.status_code == 401


def test_a_different_definition_under_a_known_hash_is_refused_and_never_overwrites(
    tmp_path: Path, collector: CollectorProcess
) -> None:
    body = definition_of(tmp_path / "kiosk")
    # a row written otherwise (a database copied in, an older tool): not what the kiosk sends
    put(collector.url, HASH, body)
    conn = sqlite3.connect(collector.db, timeout=10)
    with conn:
        conn.execute("UPDATE surveys SET body = ? WHERE hash = ?", ('{"other":1}', HASH))
    conn.close()
    refused = put(collector.url, HASH, body)
    assert refused.status_code == 409
    assert "the stored one is kept" in refused.json()["detail"]
    assert stored_surveys(collector.db) == {HASH: '{"other":1}'}


def test_a_hash_that_is_not_the_definitions_own_is_refused(
    tmp_path: Path, collector: CollectorProcess
) -> None:
    body = definition_of(tmp_path / "kiosk")
    other = "b" * 64
    wrong = put(collector.url, other, body)
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["type"] == "hash_mismatch"
    changed = dict(body, version=body["version"] + 1)  # edited after hashing
    assert put(collector.url, HASH, changed).status_code == 422
    bad_path = put(collector.url, "not-a-hash", body)
    assert bad_path.status_code == 422
    assert bad_path.json()["detail"][0]["loc"] == ["path", "survey_hash"]
    assert stored_surveys(collector.db) == {}


@pytest.mark.parametrize(
    "raw",
    [
        b"not json <script>",
        b"[1, 2, 3]",
        b'"just a string"',
        json.dumps({"id": "<script>alert(1)</script>", "secret": "ane@example.dk"}).encode(),
        b"[" * 100_000 + b"]" * 100_000,
        b'{"id": "\\ud800"}',
    ],
    ids=["not-json", "array", "string", "not-a-survey", "nested", "surrogate"],
)
def test_hostile_bodies_get_a_clear_json_error_that_echoes_nothing(
    raw: bytes, shared_collector: CollectorProcess
) -> None:
    collector = shared_collector
    reply = put(collector.url, HASH, raw)
    assert reply.status_code == 422, reply.text
    problems = reply.json()["detail"]
    assert problems and all({"loc", "msg", "type"} <= set(p) for p in problems)
    assert "<script>" not in reply.text and "ane@example.dk" not in reply.text
    assert stored_surveys(collector.db) == {}


@pytest.mark.parametrize(
    ("where", "text"),
    [("title", "Te\x1b]0;pwned\x07\x1b[2Jst"), ("title", "ok\u202eevil"), ("intro", "x" * 4001)],
    ids=["escape", "bidi", "too-long"],
)
def test_a_definition_with_texts_a_survey_file_may_not_hold_is_refused(
    tmp_path: Path, shared_collector: CollectorProcess, where: str, text: str
) -> None:
    """The survey file's checks (issue 10 item 17) hold for a definition a kiosk sends: a
    token is shared by every kiosk, and these texts reach organisers' pages and workbooks."""
    from kiosk.survey.loader import definition_hash

    body = definition_of(tmp_path / "kiosk")
    body[where] = {lang: text for lang in body[where]}
    digest = definition_hash(body)
    reply = put(shared_collector.url, digest, body)
    assert reply.status_code == 422, reply.text
    (problem,) = reply.json()["detail"]
    assert problem["type"] == "unsafe_text" and problem["loc"][:2] == ["body", where]
    assert "\\u001b" not in reply.text and "pwned" not in reply.text
    assert digest not in stored_surveys(shared_collector.db)


def test_a_definition_over_the_body_limit_is_refused_with_413(
    tmp_path: Path, token_file: Path
) -> None:
    small = CollectorProcess(tmp_path / "small.db", token_file, "--max-body", "2048").start()
    try:
        reply = put(small.url, HASH, definition_of(tmp_path / "kiosk"))
        assert reply.status_code == 413
        assert "body larger than 2048 bytes" in reply.json()["detail"]
    finally:
        small.stop()
    assert stored_surveys(small.db) == {}


def kiosk_sync(data_dir: Path, url: str, token_path: Path, summary: Path) -> Any:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "kiosk", "sync", "--retry-delay", "0.01"),
            *("--data", str(data_dir), "--endpoint", url, "--token-file", str(token_path)),
            *("--summary-json", str(summary)),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    return done, json.loads(summary.read_text(encoding="utf-8"))


def test_kiosk_sync_sends_the_definition_before_the_records_and_once(
    tmp_path: Path, collector: CollectorProcess, token_file: Path
) -> None:
    data_dir = tmp_path / "kiosk-1"
    kiosk_data(data_dir, "kiosk-1", 7)
    done, summary = kiosk_sync(data_dir, collector.url, token_file, tmp_path / "s1.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary["synced"] == 7 and summary["definitions_sent"] == 1
    assert summary["definition_notes"] == []
    assert "survey definitions sent: 1" in done.stdout
    assert list(stored_surveys(collector.db)) == [HASH]
    log = collector.log.read_text()
    assert log.index(f"PUT /v1/surveys/{HASH}") < log.index("POST /v1/submissions")

    kiosk_data(data_dir, "kiosk-1", 2)  # more visitors, the same survey
    done, summary = kiosk_sync(data_dir, collector.url, token_file, tmp_path / "s2.json")
    assert done.returncode == 0 and summary["synced"] == 2
    assert summary["definitions_sent"] == 0  # the collector had it: a duplicate, not new
    assert len(collector.rows("kiosk-1")) == 9


def test_a_record_without_a_kept_definition_is_synced_and_the_gap_named(
    tmp_path: Path, collector: CollectorProcess, token_file: Path
) -> None:
    data_dir = tmp_path / "old-kiosk"
    kiosk_data(data_dir, "old-kiosk", 3, keep=False)
    done, summary = kiosk_sync(data_dir, collector.url, token_file, tmp_path / "s.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary["synced"] == 3 and summary["definitions_sent"] == 0
    assert len(summary["definition_notes"]) == 1
    assert "no kept definition" in summary["definition_notes"][0]
    assert stored_surveys(collector.db) == {}


def test_background_sync_sends_a_definition_once_across_rounds(
    tmp_path: Path, collector: CollectorProcess
) -> None:
    data_dir = tmp_path / "kiosk-bg"
    kiosk_data(data_dir, "kiosk-bg", 2)
    with RecordStore(data_dir) as store:
        sync = BackgroundSync(store, collector.url, TOKEN, interval=3600, nudge_delay=0)
        sync.start()
        try:
            assert sync.sync_now(wait=30).pending == 0
            for n in range(2):  # two more rounds, each with a new record of the same hash
                store.save(
                    new_record(
                        kind="response",
                        survey_id=SURVEY.id,
                        survey_version=SURVEY.version,
                        survey_hash=HASH,
                        kiosk_id="kiosk-bg",
                        lang="da",
                        started_at="2026-09-05T11:00:00.000Z",
                        completed=True,
                        answers={"alder": n},
                    )
                )
                status = sync.sync_now(wait=30)
                assert status.pending == 0 and status.last_error is None
        finally:
            sync.stop()
    assert len(collector.rows("kiosk-bg")) == 4
    assert collector.log.read_text().count(f"PUT /v1/surveys/{HASH}") == 1


class OldCollector:
    """The real collector app without the definitions route, as collectors were before it,
    served by uvicorn in a thread on a free loopback port."""

    def __init__(self, db: Path) -> None:
        import uvicorn

        self.storage = CollectorStorage(db)
        app = create_app(self.storage, TOKEN, accept_definitions=False)
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> OldCollector:
        self.thread.start()
        for _ in range(600):
            try:
                if requests.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            threading.Event().wait(0.05)
        raise RuntimeError("the old collector did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.storage.close()


def test_an_old_collector_without_the_route_still_takes_every_record(
    tmp_path: Path, token_file: Path
) -> None:
    data_dir = tmp_path / "kiosk-new"
    ids = kiosk_data(data_dir, "kiosk-new", 5)
    with OldCollector(tmp_path / "old.db") as old:
        assert put(old.url, HASH, definition_of(data_dir)).status_code in (404, 405)
        done, summary = kiosk_sync(data_dir, old.url, token_file, tmp_path / "s.json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert summary["synced"] == 5 and summary["remaining"] == 0
        assert summary["definitions_sent"] == 0
        assert summary["definition_notes"] == [
            "the collector takes no survey definitions (an older version): the records are "
            "synced all the same; a report from the collector's database needs the survey "
            "files (--survey-file) or a newer collector"
        ]
        assert "survey definition not sent" in done.stdout
        assert "Everything is at the collector." in done.stdout
        stored = {r["id"] for r in old.storage.iter_records()}
    assert stored == set(ids)
    assert stored_surveys(tmp_path / "old.db") == {}


def test_a_proxy_that_does_not_forward_the_route_still_lets_the_records_through(
    tmp_path: Path, collector: CollectorProcess, token_file: Path
) -> None:
    """A proxy's own 404 (no collector marker) to every try of the definition: the run
    notes it and sends the records; the next run sends the definition."""
    from helpers.faultproxy import FaultProxy, answer

    data_dir = tmp_path / "kiosk-proxy"
    ids = kiosk_data(data_dir, "kiosk-proxy", 4)
    with FaultProxy(collector.port) as proxy:
        proxy.queue(*[answer(404, b"<html>Not Found</html>") for _ in range(5)])
        done, summary = kiosk_sync(data_dir, proxy.url, token_file, tmp_path / "s1.json")
        assert done.returncode == 0, done.stdout + done.stderr
        assert summary["synced"] == 4 and summary["definitions_sent"] == 0
        assert "not as a Borgerkiosk collector" in summary["definition_notes"][0]
        assert [s.method for s in proxy.seen][:6] == ["PUT"] * 5 + ["POST"]
        assert stored_surveys(collector.db) == {}
        kiosk_data(data_dir, "kiosk-proxy", 1)
        done, summary = kiosk_sync(data_dir, proxy.url, token_file, tmp_path / "s2.json")
        assert done.returncode == 0 and summary["definitions_sent"] == 1
    assert set(collector.rows("kiosk-proxy")) >= set(ids)
    assert list(stored_surveys(collector.db)) == [HASH]
